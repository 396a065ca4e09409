// Every control must have a name a screen reader can say: a <label>, an aria-label,
// or (for buttons) its text. Returns the controls that have none.
export function unlabeledControls(root: HTMLElement): string[] {
  const controls = Array.from(root.querySelectorAll<HTMLElement>("input, select, textarea, button"));
  return controls
    .filter((el) => {
      if (el.getAttribute("aria-label")?.trim()) return false;
      if (el instanceof HTMLButtonElement) return !el.textContent?.trim();
      const labels = (el as HTMLInputElement).labels;
      return !labels || labels.length === 0 || !Array.from(labels).some((l) => l.textContent?.trim());
    })
    .map((el) => el.outerHTML.slice(0, 120));
}

// The Configuration blade's flow with the engine replaced by a stand-in: the
// messages shown are whatever the engine returns, OK is only possible for a valid,
// changed draft, and a retention that deletes backups needs a second click.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const saved = {
  mode: "daily-at",
  every_hours: 12,
  daily_at: "01:00",
  retention_days: 7,
  max_count: 30,
  expiry_days: 30,
  location: "/srv/backups",
  encryption: { kind: "unchanged" } as Record<string, unknown>,
  items: [{ name: "documents", path: "/home/admin/documents", kind: "folder", excludes: [] as string[] }],
  start_with_session: false,
};
type Draft = typeof saved;
const engine = {
  settings: vi.fn(async () => ({ ...saved })),
  validateSettings: vi.fn(async (draft: Draft) => {
    const problems = [];
    if (draft.retention_days < 2) problems.push({ field: "retention_days", message: "Retention of 1 days is out of range: choose 2 to 14 days." });
    if (draft.encryption.kind === "passphrase" && draft.encryption.passphrase !== draft.encryption.confirm)
      problems.push({ field: "passphrase_confirm", message: "The two passphrases differ; type the same one twice." });
    if (draft.encryption.kind === "certificate" && !draft.encryption.path) problems.push({ field: "certificate", message: "Choose the certificate file (.cer, DER or PEM)." });
    return problems;
  }),
  inspectCertificate: vi.fn(async () => ({ thumbprint: "AB12CD34", subject: "CN=Backups", not_after: "2031-01-01T00:00:00Z", key_bits: 3072 })),
  previewSettings: vi.fn(async (draft: Draft) =>
    draft.retention_days === 2 ? [{ id: "b1", file_name: "b1.lbk", created_at: "2026-03-01T01:00:00Z", keep: false, reason: "older than 2 days" }] : [],
  ),
  saveSettings: vi.fn(async () => ({})),
};
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(async () => "/mnt/picked"), save: vi.fn(async () => "/mnt/key.pfx") }));
vi.mock("../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ message: e.message, hint: null }) }));

const { default: Configuration } = await import("./Configuration.svelte");
const { unlabeledControls } = await import("../test/labels");

describe("Configuration", () => {
  beforeEach(() => vi.clearAllMocks());
  afterEach(cleanup);

  it("shows the engine's message for a bad value and keeps OK disabled", async () => {
    render(Configuration, { onChanged: () => {} });
    const days = (await screen.findByDisplayValue("7")) as HTMLInputElement;
    await fireEvent.input(days, { target: { value: "1" } });
    await screen.findByText("Retention of 1 days is out of range: choose 2 to 14 days.");
    expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(true);
    expect(engine.saveSettings).not.toHaveBeenCalled();
  });

  it("lists the backups a retention change deletes and saves only after confirmation", async () => {
    const onChanged = vi.fn();
    render(Configuration, { onChanged });
    const days = (await screen.findByDisplayValue("7")) as HTMLInputElement;
    await fireEvent.input(days, { target: { value: "2" } });
    await screen.findByText(/Saving deletes 1 backup\(s\) now/);
    await fireEvent.click(screen.getByText("OK"));
    const confirm = await screen.findByText("Delete 1 backup(s) and save");
    expect(engine.saveSettings).not.toHaveBeenCalled();
    await fireEvent.click(confirm);
    await waitFor(() => expect(engine.saveSettings).toHaveBeenCalledWith({ ...saved, retention_days: 2 }, true));
    expect(onChanged).toHaveBeenCalled();
  });

  it("Cancel puts the saved values back", async () => {
    render(Configuration, { onChanged: () => {} });
    const days = (await screen.findByDisplayValue("7")) as HTMLInputElement;
    await fireEvent.input(days, { target: { value: "9" } });
    await fireEvent.click(screen.getByText("Cancel"));
    await waitFor(() => expect(days.value).toBe("7"));
  });

  it("shows an uploaded certificate's thumbprint and saves it only with OK", async () => {
    render(Configuration, { onChanged: () => {} });
    await fireEvent.click(await screen.findByLabelText("Certificate (recommended)"));
    await screen.findByText("Choose the certificate file (.cer, DER or PEM).");
    expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByText("Upload certificate…"));
    await screen.findByText("AB12CD34");
    expect(engine.saveSettings).not.toHaveBeenCalled();
    await waitFor(() => expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByText("OK"));
    await waitFor(() =>
      expect(engine.saveSettings).toHaveBeenCalledWith({ ...saved, encryption: { kind: "certificate", path: "/mnt/picked", add: false } }, false),
    );
  });

  it("explains two different passphrases and warns that an empty one turns encryption off", async () => {
    render(Configuration, { onChanged: () => {} });
    await fireEvent.click(await screen.findByLabelText("Passphrase"));
    await screen.findByText(/An empty passphrase turns encryption off/);
    await fireEvent.input(screen.getByLabelText("Passphrase", { selector: "input[type=password]" }), { target: { value: "correct horse battery" } });
    await screen.findByText("The two passphrases differ; type the same one twice.");
    expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(true);
  });

  it("adds and removes protected items in the draft only", async () => {
    render(Configuration, { onChanged: () => {} });
    await fireEvent.click(await screen.findByText("Add folder…"));
    await screen.findByText("/mnt/picked");
    await fireEvent.click(screen.getByLabelText("Remove item documents"));
    await fireEvent.click(screen.getByText("OK"));
    await waitFor(() =>
      expect(engine.saveSettings).toHaveBeenCalledWith({ ...saved, items: [{ name: "", path: "/mnt/picked", kind: "folder", excludes: [] }] }, false),
    );
  });

  it("labels every control, in each encryption mode", async () => {
    const { container } = render(Configuration, { onChanged: () => {} });
    await screen.findByDisplayValue("7");
    for (const mode of ["Certificate (recommended)", "Passphrase", "Legacy key"]) {
      await fireEvent.click(screen.getByLabelText(mode));
      if (mode.startsWith("Certificate")) await fireEvent.click(screen.getByText("Create a backup certificate…"));
      expect(unlabeledControls(container)).toEqual([]);
    }
  });
});

// The Configuration blade's flow with the engine replaced by a stand-in: the
// messages shown are whatever the engine returns, OK is only possible for a valid,
// changed draft, and a retention that deletes backups needs a second click.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const saved = { mode: "daily-at", every_hours: 12, daily_at: "01:00", retention_days: 7, max_count: 30, expiry_days: 30, location: "/srv/backups" };
const engine = {
  settings: vi.fn(async () => ({ ...saved })),
  validateSettings: vi.fn(async (draft: typeof saved) =>
    draft.retention_days < 2 ? [{ field: "retention_days", message: "Retention of 1 days is out of range: choose 2 to 14 days." }] : [],
  ),
  previewSettings: vi.fn(async (draft: typeof saved) =>
    draft.retention_days === 2 ? [{ id: "b1", file_name: "b1.lbk", created_at: "2026-03-01T01:00:00Z", keep: false, reason: "older than 2 days" }] : [],
  ),
  saveSettings: vi.fn(async () => ({})),
};
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(async () => "/mnt/picked") }));
vi.mock("../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ message: e.message, hint: null }) }));

const { default: Configuration } = await import("./Configuration.svelte");

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
});

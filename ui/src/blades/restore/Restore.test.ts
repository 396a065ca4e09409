// The restore wizard's six steps with the engine replaced by a stand-in: what each
// step needs before Next, the engine's refusals shown as they are, secrets cleared
// once sent, Back and Cancel, and the request that finally reaches the engine.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const LINK_NOT_MADE = 'item "documents", "reports/latest": the symbolic link to "2026" was not restored: Windows lets only an administrator, or anyone with developer mode on, make symbolic links.';

class EngineError extends Error {}

const backup = {
  file_name: "lifeboat-20260301T010000Z-b1.lbk",
  size: 2048,
  id: "b1",
  created_at: "2026-03-01T01:00:00Z",
  expires_at: "2026-03-31T01:00:00Z",
  installation: "ws-01",
  installation_id: "i1",
  lifeboat_version: "0.1.0",
  encryption: "certificate",
  recipients: ["AB12CD"],
  expired: false,
  unencrypted: false,
  status: "complete",
  problem: null,
  trigger: "scheduled",
  retention: { keep: true, reason: "newest good backup" },
};
const inspection = {
  source: "b1",
  file_name: backup.file_name,
  size: 2048,
  id: "b1",
  created_at: backup.created_at,
  expires_at: backup.expires_at,
  expired: false,
  installation: "ws-01",
  lifeboat_version: "0.1.0",
  encryption: "certificate",
  recipients: ["AB12CD"],
  needs: "the private key (.pfx or PEM) of the certificate with thumbprint AB12CD (CN=Backups)",
};
const unlocked = {
  inspection,
  items: [
    { name: "documents", kind: "folder", source: "/home/admin/documents", files: 3, bytes: 1000 },
    { name: "lifeboat-configuration", kind: "config", source: "/data/catalog.db", files: 1, bytes: 100 },
  ],
  warnings: [],
};

const engine = {
  // Listed oldest first, as the engine lists them.
  backups: vi.fn(async () => [{ ...backup, id: "old", file_name: "old.lbk", expired: true }, backup]),
  inspect: vi.fn(async (source: string) => (source === "old" ? { ...inspection, source, id: "old", expired: true } : { ...inspection, source })),
  unlock: vi.fn(async (identity: { password?: string }) => {
    if (identity.password !== "right") throw new EngineError("The identity given cannot open this backup; it needs AB12CD.");
    return unlocked;
  }),
  browse: vi.fn(async (_item: string, folder: string) =>
    folder === "" ? [{ path: "reports", name: "reports", kind: "dir", bytes: 900 }, { path: "a.txt", name: "a.txt", kind: "file", bytes: 100 }] : [],
  ),
  verifyUnlocked: vi.fn(async () => ({ id: "op-verify", done: Promise.resolve({ id: "b1", method: "authenticated", entries: 4, bytes: 1000 }) })),
  previewRestore: vi.fn(async (request: { to: string | null }) => ({
    targets: [{ item: "documents", path: "", target: request.to ? `${request.to}/documents` : "/home/admin/documents", replaces: request.to ? [] : ["/home/admin/documents"] }],
    safety_dir: "/data/safety-copies",
  })),
  startRestore: vi.fn(async () => ({
    id: "op-restore",
    done: Promise.resolve({ restored: ["/home/admin/documents"], entries: 4, bytes: 1000, replaced: [{ path: "/home/admin/documents", safety_copy: "/data/safety-copies/x/documents" }], warnings: [LINK_NOT_MADE] }),
  })),
  closeRestore: vi.fn(async () => null),
  cancel: vi.fn(async () => ({})),
};
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(async () => "/keys/backups.pfx") }));
vi.mock("../../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ code: null, message: e.message, hint: null }), onEngineEvent: () => () => {} }));

const { default: Restore } = await import("./Restore.svelte");
const { unlabeledControls } = await import("../../test/labels");
const { live } = await import("../../lib/live.svelte");

const button = (name: string) => screen.getByRole("button", { name }) as HTMLButtonElement;

async function toStep2() {
  await fireEvent.click(await screen.findByLabelText("Backup of 2026-03-01 01:00 UTC", { selector: "[data-backup=b1]" }));
  await screen.findByText(inspection.needs);
  await fireEvent.click(button("Next"));
  await screen.findByText("Choose the private key file.");
}

async function toStep4() {
  await toStep2();
  await fireEvent.click(button("Choose file…"));
  await fireEvent.input(screen.getByLabelText("Password of the key file"), { target: { value: "right" } });
  await fireEvent.click(button("Next"));
  await screen.findByText(/Verified: every byte authenticated/);
  await fireEvent.click(button("Next"));
  await screen.findByText("Where");
}

describe("Restore wizard", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    live.backups = null;
  });
  afterEach(cleanup);

  it("refuses an expired backup at step 1", async () => {
    const { container } = render(Restore, { onClose: () => {} });
    await screen.findAllByRole("radio");
    await fireEvent.click(container.querySelector("[data-backup=old]")!);
    await screen.findByText(/Cannot restore: backup expired/);
    expect(button("Next").disabled).toBe(true);
  });

  it("shows the engine's refusal of a wrong key, then unlocks, clears the password and verifies", async () => {
    render(Restore, { onClose: () => {} });
    await toStep2();
    expect(button("Next").disabled).toBe(true);
    await fireEvent.click(button("Choose file…"));
    const password = screen.getByLabelText("Password of the key file") as HTMLInputElement;
    await fireEvent.input(password, { target: { value: "wrong" } });
    await fireEvent.click(button("Next"));
    await screen.findByText("The identity given cannot open this backup; it needs AB12CD.");
    expect(screen.getByText(/This backup needs/)).toBeTruthy();

    await fireEvent.input(password, { target: { value: "right" } });
    await fireEvent.click(button("Next"));
    await screen.findByText(/Verified: every byte authenticated \(4 entries/);
    expect(engine.unlock).toHaveBeenLastCalledWith({ kind: "file", path: "/keys/backups.pfx", password: "right" });
    expect(engine.verifyUnlocked).toHaveBeenCalledOnce();
    expect(screen.getByText("/home/admin/documents")).toBeTruthy();

    await fireEvent.click(button("Back"));
    expect((screen.getByLabelText("Password of the key file") as HTMLInputElement).value).toBe("");
  });

  it("labels every control on each step", async () => {
    const { container } = render(Restore, { onClose: () => {} });
    await toStep2();
    expect(unlabeledControls(container)).toEqual([]);
    await fireEvent.click(button("Choose file…"));
    await fireEvent.input(screen.getByLabelText("Password of the key file"), { target: { value: "right" } });
    await fireEvent.click(button("Next"));
    await screen.findByText(/Verified/);
    await fireEvent.click(button("Next"));
    await fireEvent.click(await screen.findByLabelText("Some files or folders"));
    await screen.findByLabelText("Restore reports");
    expect(unlabeledControls(container)).toEqual([]);
  });

  it("needs a destination folder, then confirms what is replaced and restores exactly what was chosen", async () => {
    render(Restore, { onClose: () => {} });
    await toStep4();
    expect(button("Next").disabled).toBe(true);
    await screen.findByText("Choose the folder to restore into.");

    await fireEvent.click(screen.getByLabelText(/The original places/));
    expect(button("Next").disabled).toBe(false);
    await fireEvent.click(button("Next"));
    await screen.findByText(/1 existing file\(s\) or folder\(s\) will be replaced/);
    expect(screen.getByText("/data/safety-copies")).toBeTruthy();
    expect(engine.previewRestore).toHaveBeenLastCalledWith({ items: [], paths: [], to: null });

    await fireEvent.click(button("Back"));
    await fireEvent.click(screen.getByLabelText("Some files or folders"));
    await fireEvent.click(await screen.findByLabelText("Restore reports"));
    await fireEvent.click(button("Next"));
    await fireEvent.click(await screen.findByRole("button", { name: "Restore" }));
    await screen.findByText("Restored 4 entries (1000 B).");
    expect(engine.startRestore).toHaveBeenCalledWith({ items: ["documents"], paths: ["reports"], to: null });
    expect(screen.getByText("/home/admin/documents → /data/safety-copies/x/documents")).toBeTruthy();
    expect(screen.getByText("Not restored (1):")).toBeTruthy();
    expect(screen.getByText(LINK_NOT_MADE)).toBeTruthy();
  });

  it("says where another installation's backup (from the Fleet blade) came from", async () => {
    engine.inspect.mockImplementationOnce(async (source: string) => ({ ...inspection, source, installation_id: "i-2", from_elsewhere: true }));
    render(Restore, { initialSource: "b2", installation: "i-2", onClose: vi.fn() });
    await screen.findByText(/another installation/);
    expect(engine.inspect).toHaveBeenCalledWith("b2", "i-2");
  });

  it("opens at step 1 with a backup chosen from the Backups blade, and Cancel closes", async () => {
    const onClose = vi.fn();
    render(Restore, { initialSource: "b1", onClose });
    await screen.findByText(inspection.needs);
    expect(engine.inspect).toHaveBeenCalledWith("b1", null);
    await fireEvent.click(button("Next"));
    await fireEvent.click(button("Cancel"));
    expect(onClose).toHaveBeenCalled();
    await waitFor(() => expect(engine.unlock).not.toHaveBeenCalled());
  });
});

// The first-start flow with the engine replaced by a stand-in: two ways in, Set up
// step by step (checked by the engine's rules, Back keeping what was chosen, the
// settings saved once, then the first backup), and Recover from a backup (the source
// checked, the plan shown, replacing a configured installation confirmed first,
// then the offer to restore the data).
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { settingsDraft } from "../../lib/fixtures";

const fresh = settingsDraft({ location: { kind: "local", path: "/home/admin/.local/share/lifeboat/backups", user: "", password: "", confirm: "" } });
type Draft = typeof fresh;
const inspection = {
  source: "b7",
  file_name: "lifeboat-b7.lbk",
  size: 4096,
  id: "b7",
  created_at: "2026-03-01T01:00:00Z",
  expires_at: "2026-03-31T01:00:00Z",
  expired: false,
  installation: "ws-07",
  lifeboat_version: "0.3.0",
  encryption: "passphrase",
  recipients: ["passphrase"],
  needs: "the passphrase that was set when it was made",
};
const plan = (replaces: string | null) => ({
  backup: inspection,
  installation_id: "i-7",
  installation_name: "ws-07",
  settings: {
    location: { kind: "smb", path: "\\\\nas01\\backups", user: "CORP\\svc", description: "SMB share \\\\nas01\\backups", is_default: false },
    schedule: { description: "daily at 01:00 UTC", enabled: true },
    retention: { days: 7, max_count: 30 },
    expiry_days: 30,
    stall_timeout_secs: 300,
    encryption: { mode: "passphrase", certificates: [], key_id: null, key_allowed: false, warnings: [] },
    items: [{ name: "documents", kind: "folder", path: "/home/admin/documents", excludes: [] }],
  },
  vault: { objects: 3, deleted: 1, versions: 6 },
  notes: [],
  replaces,
});

const listing = (id: string, created_at: string, expired: boolean) => ({
  ...inspection,
  id,
  created_at,
  expired,
  file_name: `lifeboat-${id}.lbk`,
  installation_id: "i-7",
  unencrypted: false,
  status: null,
  problem: null,
  trigger: null,
  retention: null,
});

const engine = {
  configuration: vi.fn(async () => ({ settings: structuredClone(fresh), start_with_session: false })),
  validateSettings: vi.fn(async (draft: Draft) =>
    draft.encryption.kind === "certificate" && String(draft.encryption.path).endsWith(".pfx")
      ? [{ field: "certificate", section: "encryption", item: null, message: "This is a PFX/PKCS#12 file, which carries a private key." }]
      : [],
  ),
  inspectCertificate: vi.fn(async () => ({ thumbprint: "AB12CD34", subject: "CN=Backups", not_after: "2031-01-01T00:00:00Z", key_bits: 3072 })),
  saveConfiguration: vi.fn(async () => null),
  admin: { setPassword: vi.fn(async () => ({ password_set: true, elevated_until: "2026-03-01T00:05:00Z", retry_at: null, timeout_minutes: 5 })) },
  backupAndWait: vi.fn(async () => ({ id: "op-1", done: Promise.resolve({ id: "b1", file_name: "lifeboat-b1.lbk", size: 2048 }) })),
  testLocation: vi.fn(async () => ({})),
  recovery: {
    list: vi.fn(async () => [listing("b9", "2026-03-03T01:00:00Z", true), listing("b8", "2026-03-02T01:00:00Z", false), listing("b7", "2026-03-01T01:00:00Z", false)]),
    inspect: vi.fn(async () => inspection),
    unlock: vi.fn(async (identity: { passphrase?: string }) => {
      if (identity.passphrase !== "right one") throw new Error("This backup needs the passphrase that was set when it was made.");
      return plan(current);
    }),
    start: vi.fn(async () => ({ id: "op-r", done: Promise.resolve({ plan: plan(current), safety_copy: null }) })),
    close: vi.fn(async () => null),
  },
};
let current: string | null = null;
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(async () => "/mnt/picked"), save: vi.fn(async () => "/mnt/key.pfx") }));
vi.mock("../../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ code: null, message: e.message, hint: null }) }));

const { default: FirstStart } = await import("./FirstStart.svelte");
const { unlabeledControls } = await import("../../test/labels");
const button = (name: string | RegExp) => screen.getByRole("button", { name }) as HTMLButtonElement;

describe("First start", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    current = null;
  });
  afterEach(cleanup);

  it("offers two ways in, and Not now", async () => {
    const onDone = vi.fn();
    render(FirstStart, { onDone });
    expect(button(/Set up/).textContent).toContain("make the first backup");
    expect(button(/Recover from a backup/)).toBeTruthy();
    await fireEvent.click(button("Not now"));
    expect(onDone).toHaveBeenCalledWith(null);
  });

  it("sets up step by step, saves once and makes the first backup", async () => {
    const onDone = vi.fn();
    const { container } = render(FirstStart, { onDone });
    await fireEvent.click(button(/Set up/));
    const cert = (await screen.findByLabelText("Certificate file (.cer)")) as HTMLInputElement;
    expect(screen.queryByLabelText("Keep")).toBeNull();
    expect(button("Next").disabled).toBe(true);
    await fireEvent.input(cert, { target: { value: "/keys/backup.pfx" } });
    await screen.findByText(/carries a private key/);
    expect(button("Next").disabled).toBe(true);
    await fireEvent.input(cert, { target: { value: "/keys/backup.cer" } });
    await waitFor(() => expect(button("Next").disabled).toBe(false));
    expect(unlabeledControls(container)).toEqual([]);
    await fireEvent.click(button("Next"));

    await screen.findByText("Add at least one folder, file or database.");
    expect(button("Next").disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Path"), { target: { value: "/home/admin/documents" } });
    await fireEvent.click(button("Add"));
    await waitFor(() => expect(button("Next").disabled).toBe(false));
    await fireEvent.click(button("Back"));
    expect(((await screen.findByLabelText("Certificate file (.cer)")) as HTMLInputElement).value).toBe("/keys/backup.cer");
    await fireEvent.click(button("Next"));
    await fireEvent.click(button("Next"));
    await fireEvent.click(button("Next"));

    // The administrator password: required unless going without it is chosen, warned.
    await screen.findByText(/Choose an administrator password of at least 8 characters/);
    expect(button("Save and back up now").disabled).toBe(true);
    await fireEvent.click(screen.getByLabelText("Go without an administrator password"));
    await screen.findByText(/Anyone at this session will be able to restore over live data/);
    expect(button("Save and back up now").disabled).toBe(false);
    await fireEvent.click(screen.getByLabelText("Go without an administrator password"));
    await fireEvent.input(screen.getByLabelText("Password"), { target: { value: "the admin password" } });
    await fireEvent.input(screen.getByLabelText("Confirm"), { target: { value: "the admin passwore" } });
    await screen.findByText("The two passwords differ.");
    await fireEvent.input(screen.getByLabelText("Confirm"), { target: { value: "the admin password" } });
    await waitFor(() => expect(button("Save and back up now").disabled).toBe(false));
    expect(unlabeledControls(container)).toEqual([]);
    expect(engine.saveConfiguration).not.toHaveBeenCalled();
    await fireEvent.click(button("Save and back up now"));
    await screen.findByText(/The first backup is made/);
    // The password first, so that the session is elevated for what the settings change.
    expect(engine.admin.setPassword).toHaveBeenCalledWith(null, "the admin password");
    expect(engine.admin.setPassword.mock.invocationCallOrder[0]).toBeLessThan(engine.saveConfiguration.mock.invocationCallOrder[0]);
    expect(engine.saveConfiguration).toHaveBeenCalledTimes(1);
    const saved = engine.saveConfiguration.mock.calls[0] as unknown as [{ settings: Draft }, boolean];
    expect(saved[0].settings.encryption).toEqual({ kind: "certificate", path: "/keys/backup.cer", add: false });
    expect(saved[0].settings.items).toEqual([{ name: null, path: "/home/admin/documents", kind: "auto", excludes: [] }]);
    await fireEvent.click(button("Finish"));
    expect(onDone).toHaveBeenCalledWith(null);
  });

  it("recovers from a share: the plan first, replacing confirmed, then the offer to restore the data", async () => {
    current = "1 protected item(s)";
    const onDone = vi.fn();
    render(FirstStart, { onDone });
    await fireEvent.click(button(/Recover from a backup/));
    await fireEvent.click(screen.getByLabelText("An SMB share"));
    await fireEvent.input(screen.getByLabelText("Share path"), { target: { value: "\\\\nas01\\backups" } });
    expect(button("Next").disabled).toBe(true);
    await screen.findByText("Give the user for the share.");
    await fireEvent.input(screen.getByLabelText("User"), { target: { value: "CORP\\svc" } });
    await fireEvent.input(screen.getByLabelText("Password"), { target: { value: "share-pw" } });
    await fireEvent.click(button("Next"));
    await screen.findByText(/Backup made .* on/);
    expect(engine.recovery.inspect).toHaveBeenCalledWith(null, { kind: "smb", path: "\\\\nas01\\backups", user: "CORP\\svc", password: "share-pw", confirm: "share-pw", endpoint: "", region: "" }, null);

    const passphrase = screen.getByLabelText("Passphrase") as HTMLInputElement;
    await fireEvent.input(passphrase, { target: { value: "wrong" } });
    await fireEvent.click(button("Next"));
    await screen.findByText(/needs the passphrase/);
    await fireEvent.input(passphrase, { target: { value: "right one" } });
    await fireEvent.click(button("Next"));
    await screen.findByText("3 object(s), 1 deleted, 6 version(s)");
    expect(button("Recover").disabled).toBe(true);
    await fireEvent.click(screen.getByLabelText("Replace this installation's configuration and vault"));
    await fireEvent.click(button("Recover"));
    await screen.findByText(/Recovered: Lifeboat is set up as it was on ws-07/);
    expect(engine.recovery.start).toHaveBeenCalledWith(true);
    await fireEvent.click(button("Restore the protected data…"));
    expect(onDone).toHaveBeenCalledWith("b7");
  });

  it("recovers from a folder: lists the backups there, newest usable one chosen, another picked", async () => {
    render(FirstStart, { onDone: vi.fn() });
    await fireEvent.click(button(/Recover from a backup/));
    await fireEvent.input(screen.getByLabelText("Folder"), { target: { value: "/mnt/usb/backups" } });
    screen.getByText(/Next takes the newest backup there/);
    await fireEvent.click(button("List the backups there"));
    const folder = { kind: "local", path: "/mnt/usb/backups", user: "", password: "", confirm: "", endpoint: "", region: "" };
    expect(engine.recovery.list).toHaveBeenCalledWith(folder);
    const b8 = (await screen.findByLabelText(/Backup of 2026-03-02/)) as HTMLInputElement;
    expect(b8.checked).toBe(true);
    expect(screen.getAllByText("ws-07").length).toBe(3);
    await fireEvent.click(screen.getByLabelText(/Backup of 2026-03-01/));
    await fireEvent.click(button("Next"));
    await screen.findByText(/Backup made .* on/);
    expect(engine.recovery.inspect).toHaveBeenCalledWith(null, folder, "b7");
    expect(unlabeledControls(document.body)).toEqual([]);
  });

  it("forgets a listing when the folder changes: Next takes the newest again", async () => {
    render(FirstStart, { onDone: vi.fn() });
    await fireEvent.click(button(/Recover from a backup/));
    await fireEvent.input(screen.getByLabelText("Folder"), { target: { value: "/mnt/usb/backups" } });
    await fireEvent.click(button("List the backups there"));
    await screen.findByLabelText(/Backup of 2026-03-02/);
    await fireEvent.input(screen.getByLabelText("Folder"), { target: { value: "/mnt/other" } });
    expect(screen.queryByLabelText(/Backup of 2026-03-02/)).toBeNull();
    await fireEvent.click(button("Next"));
    await screen.findByText(/Backup made .* on/);
    expect(engine.recovery.inspect).toHaveBeenCalledWith(null, { kind: "local", path: "/mnt/other", user: "", password: "", confirm: "", endpoint: "", region: "" }, null);
  });

  it("recovers from an S3 bucket: the bucket's fields, the secret sent once and cleared", async () => {
    render(FirstStart, { onDone: vi.fn() });
    await fireEvent.click(button(/Recover from a backup/));
    await fireEvent.click(screen.getByLabelText("An S3 bucket"));
    await fireEvent.input(screen.getByLabelText("Endpoint"), { target: { value: "https://s3.example.com" } });
    await fireEvent.input(screen.getByLabelText("Bucket/prefix"), { target: { value: "acme/fleet" } });
    await screen.findByText("Give the access key id.");
    await fireEvent.input(screen.getByLabelText("Access key id"), { target: { value: "AKIA1" } });
    await fireEvent.input(screen.getByLabelText("Secret access key"), { target: { value: "s3-secret" } });
    expect(screen.queryByLabelText("Confirm secret access key")).toBeNull();
    await fireEvent.click(button("Next"));
    await screen.findByText(/Backup made .* on/);
    const bucket = { kind: "s3", path: "acme/fleet", user: "AKIA1", password: "s3-secret", confirm: "s3-secret", endpoint: "https://s3.example.com", region: "" };
    expect(engine.recovery.inspect).toHaveBeenCalledWith(null, bucket, null);
    await fireEvent.click(button("Back"));
    expect((screen.getByLabelText("Secret access key") as HTMLInputElement).value).toBe("");
  });
});

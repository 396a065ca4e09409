// The Configuration blade's flow with the engine replaced by a stand-in: the
// messages shown are whatever the engine returns, OK is only possible for a valid,
// changed draft, and a retention that deletes backups needs a second click.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { settingsDraft } from "../../lib/fixtures";

const saved = settingsDraft({ items: [{ name: "documents" as string | null, path: "/home/admin/documents", kind: "folder", excludes: [] as string[] }] });
type Draft = typeof saved;
const problem = (field: string, section: string, message: string) => ({ field, section, item: null, message });
const engine = {
  configuration: vi.fn(async () => ({ settings: structuredClone(saved), start_with_session: false })),
  validateSettings: vi.fn(async (draft: Draft) => {
    const problems = [];
    if (draft.retention_days < 2) problems.push(problem("retention_days", "retention", "Retention of 1 day is out of range: choose 2 to 14 days."));
    if (draft.encryption.kind === "passphrase" && draft.encryption.passphrase !== draft.encryption.confirm)
      problems.push(problem("passphrase_confirm", "encryption", "The two passphrases differ; type the same one twice."));
    if (draft.location.kind === "smb" && draft.location.password !== draft.location.confirm)
      problems.push(problem("location_confirm", "location", "The two passwords differ; type the same password twice."));
    if (draft.encryption.kind === "certificate" && !draft.encryption.path) problems.push(problem("certificate", "encryption", "Choose the certificate file (.cer, DER or PEM)."));
    return problems;
  }),
  inspectCertificate: vi.fn(async () => ({ thumbprint: "AB12CD34", subject: "CN=Backups", not_after: "2031-01-01T00:00:00Z", key_bits: 3072 })),
  previewSettings: vi.fn(async (draft: Draft) =>
    draft.retention_days === 2 ? [{ id: "b1", file_name: "b1.lbk", created_at: "2026-03-01T01:00:00Z", keep: false, reason: "older than 2 days" }] : [],
  ),
  saveConfiguration: vi.fn(async () => null),
  testLocation: vi.fn(async (): Promise<unknown> => {
    throw Object.assign(new Error("\\\\nas01\\backups: the folder \"ws-07\" does not exist on the share."), { code: "folder-not-found" });
  }),
  admin: {
    setPassword: vi.fn(async () => ({ password_set: true, elevated_until: "2026-03-01T00:05:00Z", retry_at: null, timeout_minutes: 5 })),
    setTimeout: vi.fn(async (minutes: number) => ({ password_set: true, elevated_until: "2026-03-01T00:05:00Z", retry_at: null, timeout_minutes: minutes })),
  },
  createLocationFolder: vi.fn(async () => ({ kind: "smb", path: "\\\\nas01\\backups\\ws-07", user: "CORP\\backup", description: "SMB share \\\\nas01\\backups\\ws-07", free_bytes: 1073741824, is_default: false })),
};
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(async () => "/mnt/picked"), save: vi.fn(async () => "/mnt/key.pfx") }));
vi.mock("../../lib/api", () => ({ api: engine, describeError: (e: Error & { code?: string }) => ({ code: e.code ?? null, message: e.message, hint: null }) }));

const { default: Configuration } = await import("./Configuration.svelte");
const { unlabeledControls } = await import("../../test/labels");
/** A status whose configuration uses a legacy key (only such may set a new one). */
const usingKey = { encryption: { mode: "key", certificates: [], key_id: "0011223344556677", key_allowed: true, warnings: [] } } as never;
/** What OK sends: the settings draft and the desktop's own setting. */
const configuration = (settings: Draft) => ({ settings, start_with_session: false });

describe("Configuration", () => {
  beforeEach(() => vi.clearAllMocks());
  afterEach(cleanup);

  it("shows the engine's message for a bad value and keeps OK disabled", async () => {
    render(Configuration, {});
    const days = (await screen.findByDisplayValue("7")) as HTMLInputElement;
    await fireEvent.input(days, { target: { value: "1" } });
    await screen.findByText("Retention of 1 day is out of range: choose 2 to 14 days.");
    expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(true);
    expect(engine.saveConfiguration).not.toHaveBeenCalled();
  });

  it("lists the backups a retention change deletes and saves only after confirmation", async () => {
    render(Configuration, {});
    const days = (await screen.findByDisplayValue("7")) as HTMLInputElement;
    await fireEvent.input(days, { target: { value: "2" } });
    await screen.findByText(/Saving deletes 1 backup\(s\) now/);
    await fireEvent.click(screen.getByText("OK"));
    const confirm = await screen.findByText("Delete 1 backup(s) and save");
    expect(engine.saveConfiguration).not.toHaveBeenCalled();
    await fireEvent.click(confirm);
    await waitFor(() => expect(engine.saveConfiguration).toHaveBeenCalledWith(configuration({ ...saved, retention_days: 2 }), true));
    expect(engine.configuration).toHaveBeenCalledTimes(2);
  });

  it("Cancel puts the saved values back", async () => {
    render(Configuration, {});
    const days = (await screen.findByDisplayValue("7")) as HTMLInputElement;
    await fireEvent.input(days, { target: { value: "9" } });
    await fireEvent.click(screen.getByText("Cancel"));
    await waitFor(() => expect(days.value).toBe("7"));
  });

  it("shows an uploaded certificate's thumbprint and saves it only with OK", async () => {
    render(Configuration, {});
    await fireEvent.click(await screen.findByLabelText("Certificate (recommended)"));
    await screen.findByText("Choose the certificate file (.cer, DER or PEM).");
    expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByText("Upload certificate…"));
    await screen.findByText("AB12CD34");
    expect(engine.saveConfiguration).not.toHaveBeenCalled();
    await waitFor(() => expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByText("OK"));
    await waitFor(() =>
      expect(engine.saveConfiguration).toHaveBeenCalledWith(configuration({ ...saved, encryption: { kind: "certificate", path: "/mnt/picked", add: false } }), false),
    );
  });

  it("explains two different passphrases and warns that an empty one turns encryption off", async () => {
    render(Configuration, {});
    await fireEvent.click(await screen.findByLabelText("Passphrase"));
    await screen.findByText(/An empty passphrase turns encryption off/);
    await fireEvent.input(screen.getByLabelText("Passphrase", { selector: "input[type=password]" }), { target: { value: "correct horse battery" } });
    await screen.findByText("The two passphrases differ; type the same one twice.");
    expect((screen.getByText("OK") as HTMLButtonElement).disabled).toBe(true);
  });

  it("adds and removes protected items in the draft only", async () => {
    render(Configuration, {});
    await fireEvent.click(await screen.findByText("Add folder…"));
    await screen.findByText("/mnt/picked");
    await fireEvent.click(screen.getByLabelText("Remove item documents"));
    await fireEvent.click(screen.getByText("OK"));
    await waitFor(() =>
      expect(engine.saveConfiguration).toHaveBeenCalledWith(configuration({ ...saved, items: [{ name: null, path: "/mnt/picked", kind: "folder", excludes: [] }] }), false),
    );
  });

  it("tests the typed share without saving it and offers to create a missing folder", async () => {
    render(Configuration, {});
    await fireEvent.click(await screen.findByLabelText("SMB share"));
    const share = { kind: "smb", path: "\\\\nas01\\backups\\ws-07", user: "CORP\\backup", password: "pw-1", confirm: "pw-1", endpoint: "", region: "" };
    await fireEvent.input(screen.getByLabelText("Share path"), { target: { value: share.path } });
    await fireEvent.input(screen.getByLabelText("User"), { target: { value: share.user } });
    await fireEvent.input(screen.getByLabelText("Password"), { target: { value: "pw-1" } });
    await fireEvent.input(screen.getByLabelText("Confirm password"), { target: { value: "pw-2" } });
    await screen.findByText("The two passwords differ; type the same password twice.");
    expect((screen.getByText("Test connection") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Confirm password"), { target: { value: "pw-1" } });
    await waitFor(() => expect((screen.getByText("Test connection") as HTMLButtonElement).disabled).toBe(false));

    await fireEvent.click(screen.getByText("Test connection"));
    await screen.findByText(/does not exist on the share/);
    expect(engine.testLocation).toHaveBeenCalledWith(share);
    await fireEvent.click(screen.getByText("Create the folder"));
    await screen.findByText(/Connected: SMB share \\\\nas01\\backups\\ws-07 takes a file; 1(\.0)? GiB free/);
    expect(engine.createLocationFolder).toHaveBeenCalledWith(share);
    expect(engine.saveConfiguration).not.toHaveBeenCalled();

    // Editing a field drops the result, which belonged to the old values.
    await fireEvent.input(screen.getByLabelText("User"), { target: { value: "CORP\\other" } });
    await waitFor(() => expect(screen.queryByText(/Connected:/)).toBeNull());
    await fireEvent.input(screen.getByLabelText("User"), { target: { value: share.user } });
    await fireEvent.click(screen.getByText("OK"));
    await waitFor(() => expect(engine.saveConfiguration).toHaveBeenCalledWith(configuration({ ...saved, location: share }), false));
  });

  it("takes an Azure container's fields and never offers to create a container", async () => {
    engine.testLocation.mockImplementationOnce(async () => {
      throw Object.assign(new Error("Listing the backups: the container backups of storage account acme was not found; create it first."), { code: "folder-not-found" });
    });
    render(Configuration, {});
    await fireEvent.click(await screen.findByLabelText("Azure Blob Storage"));
    const azure = { kind: "azure", path: "backups/ws", user: "acme", password: "a2V5", confirm: "a2V5", endpoint: "", region: "" };
    await fireEvent.input(screen.getByLabelText("Storage account"), { target: { value: azure.user } });
    await fireEvent.input(screen.getByLabelText("Container/prefix"), { target: { value: azure.path } });
    await fireEvent.input(screen.getByLabelText("Access key"), { target: { value: azure.password } });
    await fireEvent.input(screen.getByLabelText("Confirm access key"), { target: { value: azure.confirm } });
    screen.getByText(/The container must exist/);
    await waitFor(() => expect((screen.getByText("Test connection") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByText("Test connection"));
    await screen.findByText(/was not found; create it first/);
    expect(engine.testLocation).toHaveBeenCalledWith(azure);
    expect(screen.queryByText("Create the folder")).toBeNull();
    await fireEvent.click(screen.getByLabelText("S3-compatible"));
    for (const label of ["Endpoint", "Region", "Bucket/prefix", "Access key id", "Secret access key", "Confirm secret access key"]) screen.getByLabelText(label);
    expect(unlabeledControls(document.body)).toEqual([]);
  });

  it("offers a new legacy key only to a configuration that already uses one", async () => {
    render(Configuration, {});
    await screen.findByDisplayValue("7");
    expect(screen.queryByLabelText("New legacy key")).toBeNull();
    cleanup();
    render(Configuration, { status: usingKey });
    await screen.findByDisplayValue("7");
    await fireEvent.click(screen.getByLabelText("New legacy key"));
    await fireEvent.input(screen.getByLabelText("Base64 key"), { target: { value: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" } });
    await fireEvent.click(screen.getByText("OK"));
    await waitFor(() =>
      expect(engine.saveConfiguration).toHaveBeenCalledWith(configuration({ ...saved, encryption: { kind: "key", key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" } }), false),
    );
  });

  it("warns while no administrator password is set, then sets one apart from the settings", async () => {
    render(Configuration, {});
    await screen.findByText(/No administrator password is set: anyone at this session can restore over live data/);
    const set = screen.getByText("Set password") as HTMLButtonElement;
    expect(set.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Administrator password"), { target: { value: "short" } });
    await screen.findByText("Use at least 8 characters.");
    await fireEvent.input(screen.getByLabelText("Administrator password"), { target: { value: "a long admin password" } });
    await fireEvent.input(screen.getByLabelText("Confirm the administrator password"), { target: { value: "a long admin password" } });
    await waitFor(() => expect(set.disabled).toBe(false));
    await fireEvent.click(set);
    await screen.findByText("The administrator password is set.");
    expect(engine.admin.setPassword).toHaveBeenCalledWith(null, "a long admin password");
    expect(engine.saveConfiguration).not.toHaveBeenCalled();
    // Set: changing it asks for the current one, and the elevation time can be saved.
    expect(screen.getByLabelText("Current administrator password")).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("minutes of activity", { exact: false }), { target: { value: "20" } });
    await fireEvent.click(screen.getByText("Save"));
    await screen.findByText("Elevation now lasts 20 minutes of activity.");
    expect(engine.admin.setTimeout).toHaveBeenCalledWith(20);
  });

  it("labels every control, in each encryption mode", async () => {
    const { container } = render(Configuration, { status: usingKey });
    await screen.findByDisplayValue("7");
    for (const mode of ["Certificate (recommended)", "Passphrase", "New legacy key"]) {
      await fireEvent.click(screen.getByLabelText(mode));
      if (mode.startsWith("Certificate")) await fireEvent.click(screen.getByText("Create a backup certificate…"));
      expect(unlabeledControls(container)).toEqual([]);
    }
    await fireEvent.click(screen.getByLabelText("SMB share"));
    expect(unlabeledControls(container)).toEqual([]);
  });
});

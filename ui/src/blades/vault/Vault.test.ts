// The Vault blade with the engine replaced by a stand-in: values hidden until
// Reveal, names checked as typed, Lifeboat's own secrets protected, purge asked
// first, and a backup blob restored from a typed path.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

class EngineError extends Error {}

const version = (name: string, v: string, extra: object = {}) => ({
  kind: "secret",
  name,
  version: v,
  created_at: "2026-03-01T01:00:00Z",
  updated_at: "2026-03-01T01:00:00Z",
  attributes: { enabled: true, not_before: null, expires: null, content_type: null, tags: {} },
  details: { type: "secret", bytes: 5 },
  ...extra,
});
const summary = (name: string, extra: object = {}) => ({
  kind: "secret",
  name,
  created_at: "2026-03-01T01:00:00Z",
  versions: 1,
  current: version(name, `${name}-v1`),
  managed: false,
  deleted_at: null,
  purge_at: null,
  ...extra,
});

const settings = { vault_id: "v", recovery_days: 90, purge_protection: false, key_in_credential_store: false, geography: "g", paired_geographies: [] as string[] };
const engine = {
  vault: {
    list: vi.fn(async (deleted: boolean) =>
      deleted
        ? [summary("old-token", { deleted_at: "2026-03-01T01:00:00Z", purge_at: "2026-05-30T01:00:00Z" })]
        : [summary("db-password"), summary("lifeboat-share-password", { managed: true })],
    ),
    settings: vi.fn(async () => settings),
    versions: vi.fn(async (_kind: string, name: string) => [version(name, `${name}-v1`)]),
    reveal: vi.fn(async () => "hunter2"),
    setSecret: vi.fn(async (name: string) => {
      if (name === "taken") throw new EngineError('A secret named "taken" is deleted but still recoverable.');
      return version(name, "new-v");
    }),
    purge: vi.fn(async () => null),
    recover: vi.fn(async () => summary("old-token")),
    restore: vi.fn(async () => summary("from-blob", { versions: 3 })),
    update: vi.fn(async () => version("db-password", "db-password-v1")),
    remove: vi.fn(async () => summary("db-password", { purge_at: "2026-05-30T01:00:00Z" })),
    backup: vi.fn(async (_k: string, _n: string, dest: string) => dest),
    setRecoveryDays: vi.fn(async (days: number) => ({ ...settings, recovery_days: days })),
    enablePurgeProtection: vi.fn(async () => ({ ...settings, purge_protection: true })),
    exportGeography: vi.fn(async (dest: string) => dest),
  },
};
vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(async () => "/tmp/x.lbvault"), save: vi.fn(async () => "/tmp/db.lbvault") }));
vi.mock("../../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ code: null, message: e.message, hint: null }) }));

const { default: Vault } = await import("./Vault.svelte");
const { unlabeledControls } = await import("../../test/labels");
const button = (name: string | RegExp) => screen.getByRole("button", { name }) as HTMLButtonElement;

describe("Vault blade", () => {
  beforeEach(() => vi.clearAllMocks());
  afterEach(cleanup);

  it("hides a value until Reveal and protects Lifeboat's own secrets", async () => {
    const { container } = render(Vault);
    await fireEvent.click(await screen.findByRole("button", { name: "db-password" }));
    await screen.findByText("db-password-v1".slice(0, 12) + "…");
    expect(container.textContent).not.toContain("hunter2");
    await fireEvent.click(button("Reveal"));
    await screen.findByText("hunter2");
    expect(engine.vault.reveal).toHaveBeenCalledWith("db-password", "db-password-v1");
    await fireEvent.click(button("Hide"));
    expect(container.textContent).not.toContain("hunter2");

    await fireEvent.click(screen.getByRole("button", { name: "lifeboat-share-password" }));
    await screen.findByText(/Kept by Lifeboat for its settings/);
    expect(screen.queryByRole("button", { name: "Reveal" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete…" })).toBeNull();
    expect(unlabeledControls(container)).toEqual([]);
  });

  it("edits a version's attributes in place, refusing tags that are not NAME=VALUE", async () => {
    render(Vault);
    await fireEvent.click(await screen.findByRole("button", { name: "db-password" }));
    await fireEvent.click(await screen.findByRole("button", { name: "Edit…" }));
    await fireEvent.input(screen.getByLabelText("Tags"), { target: { value: "owner" } });
    await screen.findByText("Write tags as NAME=VALUE, separated by commas.");
    expect(button("Save attributes").disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Tags"), { target: { value: "owner=ops, env=prod" } });
    await fireEvent.input(screen.getByLabelText("Expires"), { target: { value: "2027-01-31" } });
    await fireEvent.input(screen.getByLabelText("Content type"), { target: { value: "text/plain" } });
    await fireEvent.click(button("Save attributes"));
    await waitFor(() =>
      expect(engine.vault.update).toHaveBeenCalledWith("secret", "db-password", "db-password-v1", {
        content_type: "text/plain",
        not_before: null,
        expires: "2027-01-31T00:00:00.000Z",
        tags: { owner: "ops", env: "prod" },
      }),
    );
  });

  it("checks the vault settings: the period's range, purge protection asked first, a pairing passphrase typed twice", async () => {
    render(Vault);
    const days = (await screen.findByLabelText(/Deleted objects stay recoverable for/)) as HTMLInputElement;
    await fireEvent.input(days, { target: { value: "5" } });
    await screen.findByText("Choose 7 to 90 days.");
    expect(button("Save period").disabled).toBe(true);
    await fireEvent.input(days, { target: { value: "30" } });
    await fireEvent.click(button("Save period"));
    await waitFor(() => expect(engine.vault.setRecoveryDays).toHaveBeenCalledWith(30));

    await fireEvent.click(button("Turn on…"));
    expect(engine.vault.enablePurgeProtection).not.toHaveBeenCalled();
    await fireEvent.click(button("Turn on"));
    await waitFor(() => expect(engine.vault.enablePurgeProtection).toHaveBeenCalled());

    await fireEvent.input(screen.getByLabelText("Save to"), { target: { value: "/keys/geo.json" } });
    await fireEvent.input(screen.getByLabelText("Passphrase"), { target: { value: "pairing passphrase" } });
    await fireEvent.input(screen.getByLabelText("Repeat"), { target: { value: "something else" } });
    await screen.findByText("The two passphrases differ.");
    expect(button("Export").disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Repeat"), { target: { value: "pairing passphrase" } });
    await fireEvent.click(button("Export"));
    await waitFor(() => expect(engine.vault.exportGeography).toHaveBeenCalledWith("/keys/geo.json", "pairing passphrase"));
  });

  it("checks the name as it is typed and shows the engine's refusal", async () => {
    const { container } = render(Vault);
    await fireEvent.click(await screen.findByRole("button", { name: "New secret…" }));
    const name = screen.getByLabelText("Name") as HTMLInputElement;
    await fireEvent.input(name, { target: { value: "has space" } });
    await screen.findByText("Use 1 to 127 letters, digits and dashes.");
    expect(button("Save").disabled).toBe(true);
    await fireEvent.input(name, { target: { value: "taken" } });
    await fireEvent.input(screen.getByLabelText("Value"), { target: { value: "v" } });
    await fireEvent.submit(container.querySelector("[data-form=new-object]")!);
    await screen.findByText(/deleted but still recoverable/);
    await fireEvent.input(name, { target: { value: "api-token" } });
    await fireEvent.submit(container.querySelector("[data-form=new-object]")!);
    await screen.findByText('Created the secret "api-token".');
    expect(engine.vault.setSecret).toHaveBeenLastCalledWith("api-token", "v", { enabled: true, content_type: null, expires: null, tags: {} });
  });

  it("asks before purging, recovers, and restores a blob from a typed path", async () => {
    const { container } = render(Vault);
    await fireEvent.click(await screen.findByRole("tab", { name: "Deleted (1)" }));
    await fireEvent.click(button("Purge…"));
    expect(engine.vault.purge).not.toHaveBeenCalled();
    await screen.findByText(/It cannot be recovered afterwards/);
    await fireEvent.click(button("Purge"));
    await waitFor(() => expect(engine.vault.purge).toHaveBeenCalledWith("secret", "old-token"));
    await fireEvent.click(await screen.findByRole("tab", { name: "Deleted (1)" }));
    await fireEvent.click(button("Recover"));
    await waitFor(() => expect(engine.vault.recover).toHaveBeenCalledWith("secret", "old-token"));

    await fireEvent.input(screen.getByLabelText("File"), { target: { value: "/backups/from-blob.lbvault" } });
    await fireEvent.submit(container.querySelector("[data-form=restore-blob]")!);
    await screen.findByText('Restored the secret "from-blob" with its 3 version(s).');
    expect(engine.vault.restore).toHaveBeenCalledWith("/backups/from-blob.lbvault");
  });
});

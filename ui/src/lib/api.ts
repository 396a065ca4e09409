// The engine as the window sees it: the generated commands, with errors thrown as
// EngineError so components can show their message and hint, and the engine's
// events with the data they carry.
import {
  commands,
  events,
  type Configuration_Deserialize as ConfigurationDraft,
  type Draft_Deserialize as Draft,
  type Event_Serialize as EngineEvent,
  type IdentityInput,
  type KeyHome,
  type LocationDraft,
  type ObjectKind,
  type Attributes_Deserialize as Attributes,
  type AttributeChanges_Deserialize as AttributeChanges,
  type Outcome_Serialize as Outcome,
  type RestoreRequest_Deserialize as RestoreRequest,
  type UiError_Serialize as UiError,
  type UpdateSettings_Deserialize as UpdateSettings,
} from "./bindings";

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: UiError };

export class EngineError extends Error {
  constructor(readonly detail: UiError) {
    super(detail.message);
  }
}

async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const result = await call;
  if (result.status === "error") throw new EngineError(result.error);
  return result.data;
}

/** Each operation's outcome, by kind. */
type OutcomeOf = { [O in Outcome as O["kind"]]: O["outcome"] };

/** The outcome of an operation of `kind` started here, once it ends. */
async function outcome<K extends keyof OutcomeOf>(kind: K, id: Promise<string>): Promise<OutcomeOf[K]> {
  const ended = await unwrap(commands.waitOperation(await id));
  if (ended.kind !== kind) throw new Error(`expected a ${kind} operation, got ${ended.kind}`);
  return ended.outcome as OutcomeOf[K];
}

export const api = {
  status: () => unwrap(commands.getStatus()),
  backupNow: () => unwrap(commands.backupNow()),
  setAutomatic: (enabled: boolean) => unwrap(commands.setAutomatic(enabled)),
  backups: () => unwrap(commands.listBackups()),
  operations: (limit: number) => unwrap(commands.listOperations(limit)),
  cancel: (id: string) => unwrap(commands.cancelOperation(id)),
  checkLocation: () => commands.checkLocation(),
  configuration: () => unwrap(commands.getConfiguration()),
  validateSettings: (draft: Draft) => commands.validateSettings(draft),
  previewSettings: (draft: Draft) => unwrap(commands.previewSettings(draft)),
  saveConfiguration: (configuration: ConfigurationDraft, confirmed: boolean) => unwrap(commands.saveConfiguration(configuration, confirmed)),
  testLocation: (location: LocationDraft) => unwrap(commands.testLocation(location)),
  createLocationFolder: (location: LocationDraft) => unwrap(commands.createLocationFolder(location)),
  inspectCertificate: (path: string) => unwrap(commands.inspectCertificate(path)),
  createCertificate: (subject: string, years: number, password: string, pfxPath: string) =>
    unwrap(commands.createCertificate(subject, years, password, pfxPath)),
  /** A backup at the location, or (with `installation`) another installation's there. */
  inspect: (source: string, installation: string | null = null) => unwrap(commands.restoreInspect(source, installation)),
  fleet: () => unwrap(commands.fleetStatus()),
  unlock: (identity: IdentityInput) => unwrap(commands.restoreUnlock(identity)),
  browse: (item: string, folder: string) => unwrap(commands.restoreBrowse(item, folder)),
  previewRestore: (request: RestoreRequest) => unwrap(commands.restorePreview(request)),
  closeRestore: () => commands.restoreClose(),
  /** Starts verifying the unlocked backup; `done` resolves with the outcome. */
  verifyUnlocked: () => started("verify", unwrap(commands.restoreVerify())),
  startRestore: (request: RestoreRequest) => started("restore", unwrap(commands.restoreStart(request))),
  verifyBackup: (id: string) => outcome("verify", unwrap(commands.verifyBackup(id))),
  copyBackup: (id: string, dest: string) => outcome("copy", unwrap(commands.copyBackup(id, dest))),
  deleteBackup: (id: string) => outcome("delete", unwrap(commands.deleteBackup(id))),
  /** Starts a backup now; the outcome when it ends (the first start waits for it). */
  backupAndWait: () => started("backup", unwrap(commands.backupNow())),
  updates: {
    state: () => unwrap(commands.updateState()),
    check: () => unwrap(commands.updateCheck()),
    setSettings: (settings: UpdateSettings) => unwrap(commands.updateSetSettings(settings)),
    /** Starts installing the newest version; the outcome when it ends. */
    install: () => outcome("update", unwrap(commands.updateInstall())),
    restart: () => commands.updateRestart(),
  },
  recovery: {
    list: (location: LocationDraft) => unwrap(commands.recoverList(location)),
    inspect: (file: string | null, location: LocationDraft | null, backup: string | null) => unwrap(commands.recoverInspect(file, location, backup)),
    unlock: (identity: IdentityInput) => unwrap(commands.recoverUnlock(identity)),
    start: (replace: boolean) => started("recover", unwrap(commands.recoverStart(replace))),
    close: () => commands.recoverClose(),
  },
  vault: {
    list: (deleted: boolean) => unwrap(commands.vaultList(deleted)),
    versions: (kind: ObjectKind, name: string) => unwrap(commands.vaultVersions(kind, name)),
    setSecret: (name: string, value: string, attributes: Attributes) => unwrap(commands.vaultSetSecret(name, value, attributes)),
    createKey: (name: string, bits: number, attributes: Attributes) => unwrap(commands.vaultCreateKey(name, bits, attributes)),
    importCertificate: (name: string, path: string, password: string, attributes: Attributes) =>
      unwrap(commands.vaultImportCertificate(name, path, password, attributes)),
    createCertificate: (name: string, subject: string, bits: number, years: number, attributes: Attributes) =>
      unwrap(commands.vaultCreateCertificate(name, subject, bits, years, attributes)),
    reveal: (name: string, version: string | null) => unwrap(commands.vaultReveal(name, version)),
    update: (kind: ObjectKind, name: string, version: string | null, changes: AttributeChanges) => unwrap(commands.vaultUpdate(kind, name, version, changes)),
    remove: (kind: ObjectKind, name: string) => unwrap(commands.vaultDelete(kind, name)),
    recover: (kind: ObjectKind, name: string) => unwrap(commands.vaultRecover(kind, name)),
    purge: (kind: ObjectKind, name: string) => unwrap(commands.vaultPurge(kind, name)),
    backup: (kind: ObjectKind, name: string, dest: string) => unwrap(commands.vaultBackup(kind, name, dest)),
    /** Restores an object from its backup file as an operation; its summary once it ends. */
    restore: (path: string) => outcome("vault-restore", unwrap(commands.vaultRestore(path))),
    exportPublic: (kind: ObjectKind, name: string, version: string | null, dest: string) => unwrap(commands.vaultExportPublic(kind, name, version, dest)),
    settings: () => unwrap(commands.vaultSettings()),
    setRecoveryDays: (days: number) => unwrap(commands.vaultSetRecoveryDays(days)),
    enablePurgeProtection: () => unwrap(commands.vaultEnablePurgeProtection()),
    moveKey: (to: KeyHome) => unwrap(commands.vaultMoveKey(to)),
    exportGeography: (dest: string, passphrase: string) => unwrap(commands.vaultExportGeography(dest, passphrase)),
    importGeography: (path: string, passphrase: string) => unwrap(commands.vaultImportGeography(path, passphrase)),
  },
};

/** An operation started here: its id at once, its outcome when it ends. */
async function started<K extends keyof OutcomeOf>(kind: K, id: Promise<string>) {
  const opId = await id;
  return { id: opId, done: outcome(kind, Promise.resolve(opId)) };
}

/** Calls `handle` with every engine event; returns the unsubscribe function. */
export function onEngineEvent(handle: (event: EngineEvent) => void): () => void {
  let stop: (() => void) | undefined;
  let stopped = false;
  events.engineEvent
    .listen((e) => handle(e.payload))
    .then((unlisten) => (stopped ? unlisten() : (stop = unlisten)))
    .catch(() => {});
  return () => {
    stopped = true;
    stop?.();
  };
}

export type Problem = { code: UiError["code"] | null; message: string; hint: string | null };

export function describeError(e: unknown): Problem {
  if (e instanceof EngineError) return { code: e.detail.code, message: e.detail.message, hint: e.detail.hint };
  return { code: null, message: e instanceof Error ? e.message : String(e), hint: null };
}

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
  type AuditFilter_Deserialize as AuditFilter,
  type ExportFormat,
  type AttributeChanges_Deserialize as AttributeChanges,
  type Outcome_Serialize as Outcome,
  type RestoreRequest_Deserialize as RestoreRequest,
  type UiError_Serialize as UiError,
  type UpdateSettings_Deserialize as UpdateSettings,
} from "./bindings";
import { askElevation } from "./elevation.svelte";

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: UiError };

export class EngineError extends Error {
  constructor(readonly detail: UiError) {
    super(detail.message);
  }
}

/** Calls a command; an action refused for want of elevation opens the administrator
 * password modal and, once elevated, is tried again. */
async function call<T>(command: () => Promise<Result<T>>): Promise<T> {
  let result = await command();
  if (result.status === "error" && result.error.code === "elevation-required" && (await askElevation(result.error.message))) {
    result = await command();
  }
  if (result.status === "error") throw new EngineError(result.error);
  return result.data;
}

/** Each operation's outcome, by kind. */
type OutcomeOf = { [O in Outcome as O["kind"]]: O["outcome"] };

/** The outcome of an operation of `kind` started here, once it ends. */
async function outcome<K extends keyof OutcomeOf>(kind: K, id: Promise<string>): Promise<OutcomeOf[K]> {
  const opId = await id;
  const ended = await call(() => commands.waitOperation(opId));
  if (ended.kind !== kind) throw new Error(`expected a ${kind} operation, got ${ended.kind}`);
  return ended.outcome as OutcomeOf[K];
}

export const api = {
  status: () => call(() => commands.getStatus()),
  backupNow: () => call(() => commands.backupNow()),
  setAutomatic: (enabled: boolean) => call(() => commands.setAutomatic(enabled)),
  backups: () => call(() => commands.listBackups()),
  operations: (limit: number) => call(() => commands.listOperations(limit)),
  cancel: (id: string) => call(() => commands.cancelOperation(id)),
  checkLocation: () => commands.checkLocation(),
  configuration: () => call(() => commands.getConfiguration()),
  validateSettings: (draft: Draft) => commands.validateSettings(draft),
  previewSettings: (draft: Draft) => call(() => commands.previewSettings(draft)),
  saveConfiguration: (configuration: ConfigurationDraft, confirmed: boolean) => call(() => commands.saveConfiguration(configuration, confirmed)),
  testLocation: (location: LocationDraft) => call(() => commands.testLocation(location)),
  createLocationFolder: (location: LocationDraft) => call(() => commands.createLocationFolder(location)),
  inspectCertificate: (path: string) => call(() => commands.inspectCertificate(path)),
  createCertificate: (subject: string, years: number, password: string, pfxPath: string) =>
    call(() => commands.createCertificate(subject, years, password, pfxPath)),
  /** A backup at the location, or (with `installation`) another installation's there. */
  inspect: (source: string, installation: string | null = null) => call(() => commands.restoreInspect(source, installation)),
  fleet: () => call(() => commands.fleetStatus()),
  unlock: (identity: IdentityInput) => call(() => commands.restoreUnlock(identity)),
  browse: (item: string, folder: string) => call(() => commands.restoreBrowse(item, folder)),
  previewRestore: (request: RestoreRequest) => call(() => commands.restorePreview(request)),
  closeRestore: () => commands.restoreClose(),
  /** Starts verifying the unlocked backup; `done` resolves with the outcome. */
  verifyUnlocked: () => started("verify", call(() => commands.restoreVerify())),
  startRestore: (request: RestoreRequest) => started("restore", call(() => commands.restoreStart(request))),
  verifyBackup: (id: string) => outcome("verify", call(() => commands.verifyBackup(id))),
  copyBackup: (id: string, dest: string) => outcome("copy", call(() => commands.copyBackup(id, dest))),
  deleteBackup: (id: string) => outcome("delete", call(() => commands.deleteBackup(id))),
  /** Starts a backup now; the outcome when it ends (the first start waits for it). */
  backupAndWait: () => started("backup", call(() => commands.backupNow())),
  updates: {
    state: () => call(() => commands.updateState()),
    check: () => call(() => commands.updateCheck()),
    setSettings: (settings: UpdateSettings) => call(() => commands.updateSetSettings(settings)),
    /** Starts installing the newest version; the outcome when it ends. */
    install: () => outcome("update", call(() => commands.updateInstall())),
    restart: () => commands.updateRestart(),
  },
  recovery: {
    list: (location: LocationDraft) => call(() => commands.recoverList(location)),
    inspect: (file: string | null, location: LocationDraft | null, backup: string | null) => call(() => commands.recoverInspect(file, location, backup)),
    unlock: (identity: IdentityInput) => call(() => commands.recoverUnlock(identity)),
    start: (replace: boolean) => started("recover", call(() => commands.recoverStart(replace))),
    close: () => commands.recoverClose(),
  },
  audit: {
    list: (filter: AuditFilter) => call(() => commands.auditList(filter)),
    verify: () => call(() => commands.auditVerify()),
    export: (filter: AuditFilter, format: ExportFormat, dest: string) => call(() => commands.auditExport(filter, format, dest)),
  },
  admin: {
    status: () => call(() => commands.adminStatus()),
    elevate: (password: string) => call(() => commands.adminElevate(password)),
    lock: () => call(() => commands.adminLock()),
    setPassword: (current: string | null, next: string) => call(() => commands.adminSetPassword(current, next)),
    setTimeout: (minutes: number) => call(() => commands.adminSetTimeout(minutes)),
  },
  vault: {
    list: (deleted: boolean) => call(() => commands.vaultList(deleted)),
    versions: (kind: ObjectKind, name: string) => call(() => commands.vaultVersions(kind, name)),
    setSecret: (name: string, value: string, attributes: Attributes) => call(() => commands.vaultSetSecret(name, value, attributes)),
    createKey: (name: string, bits: number, attributes: Attributes) => call(() => commands.vaultCreateKey(name, bits, attributes)),
    importCertificate: (name: string, path: string, password: string, attributes: Attributes) =>
      call(() => commands.vaultImportCertificate(name, path, password, attributes)),
    createCertificate: (name: string, subject: string, bits: number, years: number, attributes: Attributes) =>
      call(() => commands.vaultCreateCertificate(name, subject, bits, years, attributes)),
    reveal: (name: string, version: string | null) => call(() => commands.vaultReveal(name, version)),
    update: (kind: ObjectKind, name: string, version: string | null, changes: AttributeChanges) => call(() => commands.vaultUpdate(kind, name, version, changes)),
    remove: (kind: ObjectKind, name: string) => call(() => commands.vaultDelete(kind, name)),
    recover: (kind: ObjectKind, name: string) => call(() => commands.vaultRecover(kind, name)),
    purge: (kind: ObjectKind, name: string) => call(() => commands.vaultPurge(kind, name)),
    backup: (kind: ObjectKind, name: string, dest: string) => call(() => commands.vaultBackup(kind, name, dest)),
    /** Restores an object from its backup file as an operation; its summary once it ends. */
    restore: (path: string) => outcome("vault-restore", call(() => commands.vaultRestore(path))),
    exportPublic: (kind: ObjectKind, name: string, version: string | null, dest: string) => call(() => commands.vaultExportPublic(kind, name, version, dest)),
    settings: () => call(() => commands.vaultSettings()),
    setRecoveryDays: (days: number) => call(() => commands.vaultSetRecoveryDays(days)),
    enablePurgeProtection: () => call(() => commands.vaultEnablePurgeProtection()),
    moveKey: (to: KeyHome) => call(() => commands.vaultMoveKey(to)),
    exportGeography: (dest: string, passphrase: string) => call(() => commands.vaultExportGeography(dest, passphrase)),
    importGeography: (path: string, passphrase: string) => call(() => commands.vaultImportGeography(path, passphrase)),
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

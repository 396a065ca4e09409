// The engine as the window sees it: the generated commands, with errors thrown as
// UiError so components can show their message and hint.
import {
  commands,
  events,
  type IdentityInput,
  type LocationDraft,
  type RestoreRequest_Deserialize as RestoreRequest,
  type SettingsDraft,
  type UiError_Serialize as UiError,
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

export const api = {
  status: () => unwrap(commands.getStatus()),
  backupNow: () => unwrap(commands.backupNow()),
  setAutomatic: (enabled: boolean) => unwrap(commands.setAutomatic(enabled)),
  backups: () => unwrap(commands.listBackups()),
  operations: (limit: number) => unwrap(commands.listOperations(limit)),
  cancel: (id: string) => unwrap(commands.cancelOperation(id)),
  settings: () => unwrap(commands.getSettings()),
  validateSettings: (draft: SettingsDraft) => unwrap(commands.validateSettings(draft)),
  previewSettings: (draft: SettingsDraft) => unwrap(commands.previewSettings(draft)),
  saveSettings: (draft: SettingsDraft, confirmed: boolean) => unwrap(commands.saveSettings(draft, confirmed)),
  testLocation: (location: LocationDraft) => unwrap(commands.testLocation(location)),
  createLocationFolder: (location: LocationDraft) => unwrap(commands.createLocationFolder(location)),
  inspectCertificate: (path: string) => unwrap(commands.inspectCertificate(path)),
  createCertificate: (subject: string, years: number, password: string, pfxPath: string) =>
    unwrap(commands.createCertificate(subject, years, password, pfxPath)),
  inspect: (source: string) => unwrap(commands.restoreInspect(source)),
  unlock: (source: string, identity: IdentityInput) => unwrap(commands.restoreUnlock(source, identity)),
  browse: (item: string, folder: string) => unwrap(commands.restoreBrowse(item, folder)),
  verifyUnlocked: () => unwrap(commands.restoreVerify()),
  previewRestore: (request: RestoreRequest) => unwrap(commands.restorePreview(request)),
  startRestore: (request: RestoreRequest) => unwrap(commands.restoreStart(request)),
  closeRestore: () => commands.restoreClose(),
  verifyBackup: (id: string) => unwrap(commands.verifyBackup(id)),
  waitVerify: (id: string) => unwrap(commands.waitVerify(id)),
  waitRestore: (id: string) => unwrap(commands.waitRestore(id)),
  copyBackup: (id: string, dest: string) => unwrap(commands.copyBackup(id, dest)),
  waitCopy: (id: string) => unwrap(commands.waitCopy(id)),
  deleteBackup: (id: string) => unwrap(commands.deleteBackup(id)),
};

/** Calls `onChange` for every engine event; returns the unsubscribe function. */
export function onEngineEvent(onChange: () => void): () => void {
  let stop: (() => void) | undefined;
  let stopped = false;
  events.engineEvent
    .listen(() => onChange())
    .then((unlisten) => (stopped ? unlisten() : (stop = unlisten)))
    .catch(() => {});
  return () => {
    stopped = true;
    stop?.();
  };
}

export function describeError(e: unknown): { code: string | null; message: string; hint: string | null } {
  if (e instanceof EngineError) return { code: e.detail.code, message: e.detail.message, hint: e.detail.hint };
  return { code: null, message: e instanceof Error ? e.message : String(e), hint: null };
}

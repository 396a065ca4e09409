// What the window shows, kept current by the engine's events: each event carries
// the data it is about (an operation's progress, a backup added or deleted, the new
// settings, the location's health) and is applied here, so nothing is asked of the
// engine again per event, and nothing at all of the backup location.
import { api, describeError, onEngineEvent, type Problem } from "./api";
import type {
  BackupListing_Serialize as BackupListing,
  Event_Serialize as EngineEvent,
  OperationView_Serialize as OperationView,
  Status_Serialize as Status,
} from "./bindings";

export const live = $state({
  status: null as Status | null,
  loadError: null as Problem | null,
  /** The backups at the location, newest first; null until a blade lists them. */
  backups: null as BackupListing[] | null,
  /** Operations as last seen, newest first. */
  operations: [] as OperationView[],
  /** The latest view of every operation seen running, by id. */
  byId: {} as Record<string, OperationView>,
  /** When an event last said anything about a running operation. */
  lastProgressAt: 0,
});

export async function loadStatus() {
  try {
    live.status = await api.status();
    live.loadError = null;
  } catch (e) {
    live.loadError = describeError(e);
  }
}

export async function loadBackups() {
  live.backups = (await api.backups()).slice().reverse();
}

export async function loadOperations(limit: number) {
  live.operations = await api.operations(limit);
}

function track(op: OperationView) {
  live.byId[op.id] = op;
  const at = live.operations.findIndex((o) => o.id === op.id);
  if (at >= 0) live.operations[at] = op;
  else live.operations.unshift(op);
  live.lastProgressAt = Date.now();
}

/** Applies one engine event to what the window shows. */
export function apply(event: EngineEvent) {
  const status = live.status;
  switch (event.event) {
    case "operation-started":
    case "operation-progress":
      track(event.operation);
      if (status) status.running = event.operation;
      break;
    case "operation-finished": {
      const op = event.operation;
      track(op);
      if (status) {
        if (status.running?.id === op.id) status.running = null;
        if (op.kind === "backup") {
          status.last_backup = op;
          if (op.status === "succeeded") status.last_successful_backup_at = op.finished_at;
        }
      }
      break;
    }
    case "backup-added": {
      const added = event.backup;
      if (live.backups && !live.backups.some((b) => b.file_name === added.file_name)) live.backups.unshift(added);
      if (status && added.created_at) {
        status.backups += 1;
        if (!status.oldest_backup_at || added.created_at < status.oldest_backup_at) status.oldest_backup_at = added.created_at;
        if (!status.newest_backup_at || added.created_at > status.newest_backup_at) status.newest_backup_at = added.created_at;
      }
      break;
    }
    case "backups-deleted": {
      const gone = new Set(event.backups.map((b) => b.file_name));
      if (live.backups) live.backups = live.backups.filter((b) => !gone.has(b.file_name));
      if (status) {
        status.backups = Math.max(0, status.backups - gone.size);
        if (live.backups) {
          const created = live.backups.map((b) => b.created_at).filter((t): t is string => !!t).sort();
          status.oldest_backup_at = created[0] ?? null;
          status.newest_backup_at = created[created.length - 1] ?? null;
        }
      }
      break;
    }
    case "settings-changed":
      if (status && event.settings.location.description !== status.location.description) {
        // Another location: its backups and health are another story, which the
        // catalog (not the location) tells.
        live.backups = null;
        loadStatus();
      } else if (status) Object.assign(status, event.settings);
      break;
    case "schedule-changed":
      if (status) status.schedule = event.schedule;
      break;
    case "location-health-changed":
      if (status && event.health.location === status.location.description) status.health = event.health;
      break;
  }
}

/**
 * Follows the engine: the status once, then events. An operation run by another
 * process (the CLI, `lifeboat service`) reports progress only to the catalog, so
 * while one runs with no event about it for a while, the catalog is asked again
 * (never the location).
 */
export function follow(): () => void {
  loadStatus();
  const stop = onEngineEvent(apply);
  const timer = setInterval(() => {
    if (live.status?.running && Date.now() - live.lastProgressAt > 3000) loadStatus();
  }, 3000);
  return () => {
    stop();
    clearInterval(timer);
  };
}

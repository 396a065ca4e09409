// Values the tests build their cases from (the window never imports this).
import type { OperationView_Serialize as OperationView } from "./bindings";

/** A backup started on demand and still writing, with what the case changes. */
export function operation(overrides: Partial<OperationView> = {}): OperationView {
  return {
    id: "op-1",
    kind: "backup",
    trigger: "on-demand",
    status: "running",
    phase: "writing",
    started_at: "2026-03-01T00:00:00Z",
    finished_at: null,
    bytes_done: 0,
    bytes_total: 0,
    items_done: 0,
    items_total: 0,
    rate: null,
    eta_seconds: null,
    error_code: null,
    message: null,
    hint: null,
    backup_id: null,
    pid: null,
    cancel_requested: false,
    ...overrides,
  };
}

/** A settings draft as the engine hands a form one: the defaults, with what the case changes. */
export function settingsDraft<T extends object>(overrides: T) {
  return {
    schedule_mode: "daily-at",
    every_hours: 12,
    daily_at: "01:00",
    retention_days: 7,
    max_count: 30,
    expiry_days: 30,
    stall_timeout_secs: 300,
    location: { kind: "local", path: "/srv/backups", user: "", password: "", confirm: "" },
    encryption: { kind: "unchanged" } as Record<string, unknown>,
    items: [] as { name: string | null; path: string; kind: string; excludes: string[] }[],
    ...overrides,
  };
}

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

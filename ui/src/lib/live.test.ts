// The window follows the engine by applying what each event carries: a progress
// event updates the running operation without asking the engine anything (and
// never the backup location); backups added and deleted, new settings and the
// location's health land in what the blades show.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { operation as fixture } from "./fixtures";

let handler: ((event: unknown) => void) | null = null;
const engine = {
  status: vi.fn(async () => structuredClone(status)),
  backups: vi.fn(async () => []),
  operations: vi.fn(async () => []),
};
vi.mock("./api", () => ({
  api: engine,
  describeError: (e: Error) => ({ code: null, message: e.message, hint: null }),
  onEngineEvent: (h: (event: unknown) => void) => ((handler = h), () => (handler = null)),
}));

const status = {
  location: { kind: "local", path: "/srv/backups", user: null, description: "local folder /srv/backups", is_default: false },
  schedule: { schedule: { mode: "daily-at", hour: 1, minute: 0 }, description: "daily at 01:00 UTC", enabled: true, next_due: "2026-03-02T01:00:00Z" },
  retention: { days: 7, max_count: 30 },
  expiry_days: 30,
  stall_timeout_secs: 300,
  encryption: { mode: "certificate", certificates: [], key_id: null, key_allowed: false, warnings: [] },
  items: [],
  last_backup: null,
  last_successful_backup_at: null,
  running: null,
  health: { location: "local folder /srv/backups", state: "reachable", checked_at: "2026-03-01T00:00:00Z", free_bytes: 1000, problem: null, problem_code: null },
  backups: 1,
  expired_backups: 0,
  oldest_backup_at: "2026-02-28T01:00:00Z",
  newest_backup_at: "2026-02-28T01:00:00Z",
};

const { live, follow, loadBackups } = await import("./live.svelte");

function operation(status: "running" | "succeeded", bytes_done: number) {
  const finished_at = status === "running" ? null : "2026-03-01T01:00:09Z";
  return fixture({ status, started_at: "2026-03-01T01:00:00Z", finished_at, bytes_done, bytes_total: 10 * 2 ** 30, pid: 1 });
}

const listing = (file_name: string, created_at: string) => ({ file_name, size: 2048, id: file_name, created_at, expires_at: "2026-04-01T00:00:00Z", installation: "ws", installation_id: "i", lifeboat_version: "0.2.0", encryption: "certificate", recipients: [], expired: false, unencrypted: false, status: "complete", problem: null, trigger: "on-demand", retention: { keep: true, reason: "within 7 days" } });

describe("the window following events", () => {
  beforeEach(async () => {
    vi.clearAllMocks();
    engine.backups.mockResolvedValue([listing("b0", "2026-02-28T01:00:00Z")] as never);
    live.backups = null;
    live.operations = [];
    follow();
    await vi.waitFor(() => expect(live.status).not.toBeNull());
    await loadBackups();
  });

  it("applies a backup's progress, then its end, without asking the engine again", async () => {
    handler!({ event: "operation-started", operation: operation("running", 0) });
    for (let i = 1; i <= 40; i++) handler!({ event: "operation-progress", operation: operation("running", i * 2 ** 28) });
    expect(live.status!.running!.bytes_done).toBe(10 * 2 ** 30);
    expect(live.byId["op-1"].bytes_done).toBe(10 * 2 ** 30);
    handler!({ event: "backup-added", backup: listing("b1", "2026-03-01T01:00:05Z") });
    handler!({ event: "operation-finished", operation: operation("succeeded", 10 * 2 ** 30) });
    expect(live.status!.running).toBeNull();
    expect(live.status!.last_backup!.status).toBe("succeeded");
    expect(live.status!.last_successful_backup_at).toBe("2026-03-01T01:00:09Z");
    expect(live.status!.backups).toBe(2);
    expect(live.status!.newest_backup_at).toBe("2026-03-01T01:00:05Z");
    expect(live.backups!.map((b) => b.file_name)).toEqual(["b1", "b0"]);
    expect(live.operations[0].status).toBe("succeeded");
    // The status once when the window opened and the listing once; no call per event.
    expect(engine.status).toHaveBeenCalledTimes(1);
    expect(engine.backups).toHaveBeenCalledTimes(1);
  });

  it("applies deletions, new settings and the location's health", () => {
    handler!({ event: "backups-deleted", backups: [{ id: "b0", file_name: "b0", created_at: "2026-02-28T01:00:00Z", reason: "older than 2 days" }] });
    expect(live.backups).toEqual([]);
    expect(live.status!.backups).toBe(0);
    expect(live.status!.oldest_backup_at).toBeNull();

    handler!({ event: "settings-changed", settings: { ...status, retention: { days: 2, max_count: 5 }, expiry_days: 10 } });
    expect(live.status!.retention).toEqual({ days: 2, max_count: 5 });
    expect(live.status!.expiry_days).toBe(10);

    const unreachable = { ...status.health, state: "unreachable", problem: "The folder is gone.", problem_code: "folder-not-found" };
    handler!({ event: "location-health-changed", health: { ...unreachable, location: "local folder /elsewhere" } });
    expect(live.status!.health.state).toBe("reachable");
    handler!({ event: "location-health-changed", health: unreachable });
    expect(live.status!.health.problem).toBe("The folder is gone.");
    expect(engine.status).toHaveBeenCalledTimes(1);
  });
});

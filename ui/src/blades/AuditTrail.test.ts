// The audit trail in the Activity blade with the engine replaced by a stand-in: the
// filters become the engine's filter (days read as UTC, the "to" day included), the
// chain's verdict is shown either way, and an export goes to the file chosen.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const entry = (seq: number, kind: string, outcome: string, summary: string, details: object = {}) => ({
  seq,
  at: `2026-12-0${seq}T10:00:00Z`,
  kind,
  front_end: seq % 2 ? "window" : "cli",
  os_user: "ana",
  outcome,
  summary,
  details,
});
const entries = [
  entry(3, "elevated-action", "failed", "Refused (not elevated): Reveal the secret \"db\"", { action: "Reveal the secret \"db\"" }),
  entry(2, "settings-changed", "succeeded", "Settings changed: retention", { retention: { old: 7, new: 3 } }),
  entry(1, "elevation", "succeeded", "Elevated with the administrator password"),
];
let broken = false;
let rewritten = false;
const engine = {
  audit: {
    list: vi.fn(async () => entries),
    verify: vi.fn(async () => ({
      chain: { entries: 3, head: { seq: 3, hash: "ab" }, broken: broken ? { seq: 2, problem: "entry 2 was changed after it was written" } : null },
      witnesses: 2,
      contradictions: rewritten ? [{ backup_id: "b9", file_name: "b9.lbk", created_at: "2026-12-03T10:00:00Z", seq: 2, problem: "the backup b9 (made 2026-12-03 10:00 UTC) recorded entry 2 differently: the trail was rewritten at or before that entry" }] : [],
      location_problem: null,
    })),
    export: vi.fn(async () => 3),
  },
};
vi.mock("@tauri-apps/plugin-dialog", () => ({ save: vi.fn(async () => "/home/ana/audit.csv") }));
vi.mock("../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ code: null, message: e.message, hint: null }) }));

const { default: AuditTrail } = await import("./AuditTrail.svelte");
const { unlabeledControls } = await import("../test/labels");

describe("Audit trail", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    broken = rewritten = false;
  });
  afterEach(cleanup);

  it("lists the entries and turns the filters into the engine's filter", async () => {
    const { container } = render(AuditTrail);
    await screen.findByText("Settings changed: retention");
    expect(unlabeledControls(container)).toEqual([]);
    expect(engine.audit.list).toHaveBeenLastCalledWith({ kind: null, front_end: null, outcome: null, since: null, until: null, limit: 500 });
    await fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "elevated-action" } });
    await fireEvent.change(screen.getByLabelText("Through"), { target: { value: "window" } });
    await fireEvent.change(screen.getByLabelText("Outcome"), { target: { value: "failed" } });
    await fireEvent.input(screen.getByLabelText("From"), { target: { value: "2026-12-01" } });
    await fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-12-01" } });
    await fireEvent.input(screen.getByLabelText("To"), { target: { value: "2026-12-07" } });
    await fireEvent.change(screen.getByLabelText("To"), { target: { value: "2026-12-07" } });
    await waitFor(() =>
      expect(engine.audit.list).toHaveBeenLastCalledWith({
        kind: "elevated-action",
        front_end: "window",
        outcome: "failed",
        since: "2026-12-01T00:00:00.000Z",
        until: "2026-12-08T00:00:00.000Z",
        limit: 500,
      }),
    );
  });

  it("says whether the chain holds, against the backups too, and where it breaks", async () => {
    render(AuditTrail);
    await fireEvent.click(await screen.findByText("Verify chain"));
    await screen.findByText("The chain holds: 3 entries, each following from the one before, and every head recorded by the 2 backup(s) at the location.");
    rewritten = true;
    await fireEvent.click(screen.getByText("Verify chain"));
    await screen.findByText(/recorded entry 2 differently: the trail was rewritten/);
    broken = true;
    await fireEvent.click(screen.getByText("Verify chain"));
    await screen.findByText("The audit trail was changed: entry 2 was changed after it was written.");
  });

  it("exports what the filters admit, without the listing's limit, to the file chosen", async () => {
    render(AuditTrail);
    await fireEvent.click(await screen.findByText("Export CSV…"));
    await screen.findByText("3 entries written to /home/ana/audit.csv.");
    expect(engine.audit.export).toHaveBeenCalledWith({ kind: null, front_end: null, outcome: null, since: null, until: null, limit: null }, "csv", "/home/ana/audit.csv");
  });
});

// The Fleet blade with the engine replaced by a stand-in: every installation from
// the headers, this one first, a stale one marked, and another's last backup offered
// to the restore wizard with its installation.
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";

const member = (id: string, name: string, extra: object) => ({
  installation_id: id,
  name,
  this_installation: false,
  backups: 3,
  last_backup_at: "2026-12-01T01:00:00Z",
  last_backup_id: `${id}-last`,
  lifeboat_version: "0.2.0",
  unreadable: 0,
  expected_every_hours: 24,
  stale: false,
  ...extra,
});
const engine = {
  fleet: vi.fn(async () => ({
    location: "Azure container acme/backups/fleet",
    checked_at: "2026-12-02T08:00:00Z",
    members: [member("i-1", "ws-01", { this_installation: true }), member("i-2", "ws-02", { stale: true, expected_every_hours: 8, unreadable: 1 })],
  })),
};
vi.mock("../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ code: null, message: e.message, hint: null }) }));

const { default: Fleet } = await import("./Fleet.svelte");
const { unlabeledControls } = await import("../test/labels");

describe("Fleet", () => {
  afterEach(cleanup);

  it("lists every installation, marks a stale one and restores another's last backup", async () => {
    const onRestore = vi.fn();
    render(Fleet, { onRestore });
    await screen.findByText("ws-02");
    screen.getByText(/Azure container acme\/backups\/fleet/);
    screen.getByText("(this one)");
    screen.getByText("stale: no backup within twice that");
    screen.getByText("1 unreadable");
    screen.getByText("8 h");
    screen.getByText("1 day(s)");
    const restore = screen.getAllByText("Restore its last backup…");
    expect(restore.length).toBe(1);
    await fireEvent.click(restore[0]);
    expect(onRestore).toHaveBeenCalledWith("i-2-last", "i-2");
    await fireEvent.click(screen.getByText("Refresh"));
    expect(engine.fleet).toHaveBeenCalledTimes(2);
    expect(unlabeledControls(document.body)).toEqual([]);
  });
});

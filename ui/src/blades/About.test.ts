// About and updates with the engine replaced by a stand-in: the version and what the
// last check found, Check now, and the two settings, each saved with the other as
// saved (an address the engine refused is never sent again by the checkbox).
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";

const saved = { check_automatically: true, feed_url: "https://updates.example.org/latest.json" };
const check = {
  current_version: "0.3.0",
  feed_url: saved.feed_url,
  checked_at: "2026-12-07T08:00:00Z",
  available: { version: "0.3.1", notes: "Faster shares.", published_at: "2026-12-01T10:00:00Z" },
  installed_as: "deb",
};
const engine = {
  updates: {
    state: vi.fn(async () => ({ current_version: "0.3.0", settings: { ...saved }, has_feed: true, last_check: null })),
    check: vi.fn(async () => check),
    setSettings: vi.fn(async (settings: typeof saved) => {
      if (settings.feed_url?.startsWith("http://")) throw new Error("plain http is accepted only for this machine (localhost); use https");
      return settings;
    }),
  },
};
vi.mock("../lib/api", () => ({ api: engine, describeError: (e: Error) => ({ code: null, message: e.message, hint: null }) }));

const { default: About } = await import("./About.svelte");
const { updates } = await import("../lib/updates.svelte");
const { unlabeledControls } = await import("../test/labels");

describe("About and updates", () => {
  afterEach(cleanup);

  it("shows the version, checks on request, and saves each setting with the other as saved", async () => {
    updates.state = await engine.updates.state();
    render(About);
    screen.getByText(/Lifeboat 0\.3\.0/);
    screen.getByText("not checked yet");
    await fireEvent.click(screen.getByText("Check now"));
    await screen.findByText("Lifeboat 0.3.1 is available");
    screen.getByText(/installed from a \.deb package/);

    const field = screen.getByLabelText("Update feed") as HTMLInputElement;
    expect(field.value).toBe(saved.feed_url);
    await fireEvent.input(field, { target: { value: "http://updates.example.org/latest.json" } });
    await fireEvent.click(screen.getByText("Save"));
    await screen.findByText(/plain http is accepted only for this machine/);

    await fireEvent.click(screen.getByRole("checkbox"));
    await vi.waitFor(() => expect(engine.updates.setSettings).toHaveBeenCalledTimes(2));
    expect(engine.updates.setSettings).toHaveBeenLastCalledWith({ check_automatically: false, feed_url: saved.feed_url });
    expect(unlabeledControls(document.body)).toEqual([]);
  });
});

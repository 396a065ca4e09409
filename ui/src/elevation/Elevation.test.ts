// Elevation in the window with the generated commands replaced by a stand-in: an
// action the engine refuses for want of elevation opens the modal naming it, a wrong
// password shows the engine's message, the right one elevates and the action runs
// again; Cancel leaves it refused. The badge shows while elevated and Lock now ends it.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const elevated = { password_set: true, elevated_until: "2999-01-01T00:05:00Z", retry_at: null, timeout_minutes: 5 };
const locked = { ...elevated, elevated_until: null };
const refusal = { status: "error", error: { code: "elevation-required", message: 'Reveal the secret "db": this needs the administrator password.', hint: null } };
let isElevated = false;
const commands = {
  vaultReveal: vi.fn(async () => (isElevated ? { status: "ok", data: "the value" } : refusal)),
  adminElevate: vi.fn(async (password: string) => {
    if (password !== "right password") return { status: "error", error: { code: "wrong-admin-password", message: "The administrator password is wrong. Try again in 1 s.", hint: null } };
    isElevated = true;
    return { status: "ok", data: elevated };
  }),
  adminStatus: vi.fn(async () => ({ status: "ok", data: isElevated ? elevated : locked })),
  adminLock: vi.fn(async () => ((isElevated = false), { status: "ok", data: locked })),
};
vi.mock("../lib/bindings", () => ({ commands, events: {} }));

const { default: ElevationModal } = await import("./ElevationModal.svelte");
const { default: ElevatedBadge } = await import("./ElevatedBadge.svelte");
const { api } = await import("../lib/api");
const { unlabeledControls } = await import("../test/labels");

describe("Elevation", () => {
  beforeEach(() => {
    vi.clearAllMocks();
    isElevated = false;
  });
  afterEach(cleanup);

  it("asks for the password when an action is refused, then runs it again", async () => {
    const { container } = render(ElevationModal);
    const revealed = api.vault.reveal("db", null);
    await screen.findByText('Reveal the secret "db": this needs the administrator password.');
    expect(unlabeledControls(container)).toEqual([]);
    const password = screen.getByLabelText("Password") as HTMLInputElement;
    await fireEvent.input(password, { target: { value: "wrong password" } });
    await fireEvent.click(screen.getByText("Elevate"));
    await screen.findByText("The administrator password is wrong. Try again in 1 s.");
    expect(password.value).toBe("");
    await fireEvent.input(password, { target: { value: "right password" } });
    await fireEvent.click(screen.getByText("Elevate"));
    expect(await revealed).toBe("the value");
    expect(commands.vaultReveal).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("leaves the action refused when the modal is canceled", async () => {
    render(ElevationModal);
    const revealed = api.vault.reveal("db", null);
    await fireEvent.click(await screen.findByText("Cancel"));
    await expect(revealed).rejects.toThrow("this needs the administrator password");
    expect(commands.vaultReveal).toHaveBeenCalledTimes(1);
    expect(commands.adminElevate).not.toHaveBeenCalled();
  });

  it("shows the badge while elevated, and Lock now ends the elevation", async () => {
    isElevated = true;
    render(ElevatedBadge);
    await screen.findByText("Elevated");
    await fireEvent.click(screen.getByText("Lock now"));
    await waitFor(() => expect(screen.queryByText("Elevated")).toBeNull());
    expect(commands.adminLock).toHaveBeenCalledTimes(1);
  });
});

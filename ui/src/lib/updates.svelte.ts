// Lifeboat's version and updates as the window shows them: the state read once at
// start, then kept current by the checks this window asks for and by the app's own
// daily check, which arrives as an event carrying what it found.
import { api } from "./api";
import { events, type UpdateCheck_Serialize as UpdateCheck, type UpdateState_Serialize as UpdateState } from "./bindings";

export const updates = $state({
  state: null as UpdateState | null,
  /** The version installed by this window, waiting for a restart. */
  installed: null as string | null,
});

/** A newer version, as the last check found it. */
export function available() {
  return updates.state?.last_check?.available ?? null;
}

export function applyCheck(check: UpdateCheck) {
  if (updates.state) updates.state.last_check = check;
}

export async function followUpdates() {
  updates.state = await api.updates.state();
  const unlisten = await events.updateFound.listen((e) => applyCheck(e.payload));
  return unlisten;
}

// Elevation as the window shows it: whether an administrator password is set, until
// when this session is elevated (the badge), and the action waiting for the password
// while the modal is open. The engine decides; this only mirrors and asks.
import { commands, type ElevationStatus_Serialize as ElevationStatus } from "./bindings";

export const elevation = $state({
  status: null as ElevationStatus | null,
  /** The refused action the modal asks the password for, and how to answer it. */
  asking: null as { action: string; answer: (elevated: boolean) => void } | null,
});

/** Reads the state again (the badge refreshes with it; activity moves the end). */
export async function refreshElevation() {
  const result = await commands.adminStatus();
  if (result.status === "ok") elevation.status = result.data;
}

/** Opens the modal for `action`; true once the session is elevated, false if canceled. */
export function askElevation(action: string): Promise<boolean> {
  elevation.asking?.answer(false);
  return new Promise((answer) => {
    elevation.asking = {
      action,
      answer: (elevated) => {
        elevation.asking = null;
        answer(elevated);
      },
    };
  });
}

export function isElevated(status: ElevationStatus | null, now: Date): boolean {
  return status?.elevated_until != null && new Date(status.elevated_until) > now;
}

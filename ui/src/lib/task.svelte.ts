// The busy/error pattern every blade and wizard step repeats: run an action,
// disable what should wait meanwhile, and keep the engine's explanation if it fails.
import { describeError, type Problem } from "./api";

export class Task {
  busy = $state(false);
  error = $state<Problem | null>(null);

  /** Runs `action`; its error (the engine's message and hint) is kept, not thrown. */
  async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    try {
      return await action();
    } catch (e) {
      this.error = describeError(e);
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}

// The `engine` store: what the llama.cpp host reports (backend, threads, loaded models),
// for the status bar and the Settings panel. Refreshed on start and after each answer.
import type { EngineStatus } from "../core/engine/types.ts";
import type { Api } from "./api/connect.ts";
import { errorText } from "./ui/errors.ts";

export class EngineStore {
  /** Latest status; null until loaded. */
  status = $state.raw<EngineStatus | null>(null);
  /** Why the last refresh failed, for people; null when it worked. */
  error = $state<string | null>(null);

  constructor(private readonly api: Api) {}

  /** Asks the shell for the engine status (this starts the host if it is not running). */
  async refresh(): Promise<void> {
    try {
      this.status = await this.api.engine.status({});
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

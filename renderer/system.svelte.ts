// The connection and `system` store: connects once, then holds the shell's versions,
// backend and paths for the status bar and the Settings panel.
import type { SystemInfo } from "../core/api/index.ts";
import { connectApi, type Api } from "./api/connect.ts";

export class SystemStore {
  /** The connected API client; null until connected. */
  api = $state.raw<Api | null>(null);
  /** Latest system info; null until loaded. */
  info = $state.raw<SystemInfo | null>(null);
  /** Why connecting or loading failed, for people. */
  error = $state<string | null>(null);

  async connect(): Promise<void> {
    try {
      const api = await connectApi();
      this.info = await api.system.info({});
      this.api = api;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }
}

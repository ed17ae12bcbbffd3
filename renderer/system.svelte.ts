// The connection and `system` store: connects once, then holds the shell's versions,
// backend, paths and served domains for the rail, the status bar and the Settings panel.
// App.svelte creates it; every other store gets its `api` once connected.
import type { SystemInfo } from "../core/api/index.ts";
import { connectApi, type Api } from "./api/connect.ts";

export class SystemStore {
  /** The connected API client; null until connected. */
  api = $state.raw<Api | null>(null);
  /** Latest system info; null until loaded. */
  info = $state.raw<SystemInfo | null>(null);
  /** Why connecting or loading failed, for people. */
  error = $state<string | null>(null);

  /** Connects with `connect` (default: the preload bridge or the WebSocket) and loads the info. */
  async connect(connect: () => Promise<Api> = connectApi): Promise<void> {
    try {
      const api = await connect();
      this.info = await api.system.info({});
      this.api = api;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** Whether the shell serves every one of these API domains. */
  serves(...domains: string[]): boolean {
    const served = this.info?.domains ?? [];
    return domains.every((d) => served.includes(d));
  }
}

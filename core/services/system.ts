// Handlers for the `system` domain. The shell supplies what only it can know (versions,
// engine summary, paths) through SystemDeps; core adds the streaming `ticks` method.
import type { DomainHandlers } from "../api/rpc.ts";
import type { systemApi, SystemInfo } from "../api/system.ts";
import { sleep } from "../util/async.ts";

/** What the system handlers need from the shell. */
export interface SystemDeps {
  /** Current system info (the engine part changes once the engine has started). */
  info(): Promise<SystemInfo> | SystemInfo;
}

export function systemHandlers(deps: SystemDeps): DomainHandlers<typeof systemApi> {
  return {
    info: () => deps.info(),
    async *ticks(input, ctx) {
      for (let i = 1; i <= input.count; i++) {
        if (input.intervalMs > 0) await sleep(input.intervalMs, ctx.signal);
        ctx.signal.throwIfAborted();
        yield { type: "progress", done: i, total: input.count };
      }
    },
  };
}

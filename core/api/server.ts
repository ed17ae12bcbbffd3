// Serves a contract's handlers over one Channel: validates every call's input against
// the method's schema (a bad call gets `invalid_input` naming the field), runs the
// handler with an AbortSignal that fires on cancel or disconnect, and streams packets.
// Each shell calls this once per connection (WebSocket client, Electron window).
import type { Channel } from "./channel.ts";
import type { CallContext, ContractDef, HandlersOf, MethodDef } from "./rpc.ts";
import { cancelledError, invalidInputError, toApiErrorData, type ApiErrorData } from "./errors.ts";
import { clientMessageSchema, type ServerMessage } from "./wire.ts";

/** Options for serveApi. */
export interface ServeApiOptions {
  /** Called with every handler error that is not the caller's fault (code "internal"). Default: console.error. */
  onInternalError?: (method: string, error: unknown) => void;
}

/** A running server on one channel. */
export interface ApiServer {
  /** Calls in flight. */
  readonly pending: number;
  /** Aborts all calls and stops listening (the channel stays open). */
  dispose(): void;
}

type AnyHandler = (input: unknown, ctx: CallContext) => unknown;

export function serveApi<C extends ContractDef>(
  contract: C,
  handlers: Partial<HandlersOf<C>>,
  channel: Channel,
  options: ServeApiOptions = {},
): ApiServer {
  const inflight = new Map<number, AbortController>();
  const onInternal = options.onInternalError ?? ((m, e) => console.error(`[api] ${m} failed:`, e));
  const send = (m: ServerMessage) => channel.send(m);
  const fail = (id: number, method: string, err: unknown, signal?: AbortSignal) => {
    const data: ApiErrorData = signal?.aborted ? cancelledError(signal.reason).toJSON() : toApiErrorData(err);
    if (data.code === "internal") onInternal(method, err);
    send({ t: "err", id, e: data });
  };

  const lookup = (name: string): { def: MethodDef; fn: AnyHandler } | undefined => {
    const dot = name.indexOf(".");
    if (dot < 0) return undefined;
    const domain = name.slice(0, dot);
    const method = name.slice(dot + 1);
    if (!Object.hasOwn(contract, domain)) return undefined;
    const dd = contract[domain]!;
    if (!Object.hasOwn(dd, method)) return undefined;
    const dh = (handlers as Record<string, Record<string, AnyHandler> | undefined>)[domain];
    const fn = dh && Object.hasOwn(dh, method) ? dh[method] : undefined;
    return fn ? { def: dd[method]!, fn } : undefined;
  };

  async function run(id: number, name: string, raw: unknown) {
    const found = lookup(name);
    if (!found) {
      send({ t: "err", id, e: { code: "unknown_method", message: `Unknown method "${name}"` } });
      return;
    }
    const parsed = found.def.input.safeParse(raw);
    if (!parsed.success) {
      send({ t: "err", id, e: invalidInputError(name, parsed.error).toJSON() });
      return;
    }
    const ac = new AbortController();
    inflight.set(id, ac);
    const ctx: CallContext = { signal: ac.signal, method: name };
    try {
      if (found.def.kind === "unary") {
        const value = await found.fn(parsed.data, ctx);
        if (ac.signal.aborted) throw cancelledError(ac.signal.reason);
        send({ t: "ok", id, v: value ?? null });
      } else {
        const iterable = found.fn(parsed.data, ctx) as AsyncIterable<unknown>;
        const it = iterable[Symbol.asyncIterator]();
        const stop = () => void it.return?.().catch(() => undefined);
        ac.signal.addEventListener("abort", stop, { once: true });
        try {
          for (;;) {
            const r = await it.next();
            if (ac.signal.aborted) throw cancelledError(ac.signal.reason);
            if (r.done) break;
            send({ t: "item", id, v: r.value });
          }
        } finally {
          ac.signal.removeEventListener("abort", stop);
        }
        send({ t: "end", id });
      }
    } catch (err) {
      fail(id, name, err, ac.signal);
    } finally {
      inflight.delete(id);
    }
  }

  const offMessage = channel.onMessage((raw) => {
    const msg = clientMessageSchema.safeParse(raw);
    if (!msg.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === "number") {
        send({ t: "err", id, e: { code: "invalid_input", message: "Malformed message" } });
      }
      return;
    }
    const m = msg.data;
    if (m.t === "cancel") {
      inflight.get(m.id)?.abort("cancelled by caller");
      return;
    }
    if (inflight.has(m.id)) {
      send({ t: "err", id: m.id, e: { code: "conflict", message: `Call id ${m.id} is already in flight` } });
      return;
    }
    void run(m.id, m.m, m.a);
  });
  const abortAll = (why: string) => {
    for (const ac of inflight.values()) ac.abort(why);
  };
  const offClose = channel.onClose(() => abortAll("caller disconnected"));

  return {
    get pending() {
      return inflight.size;
    },
    dispose() {
      offMessage();
      offClose();
      abortAll("server disposed");
    },
  };
}

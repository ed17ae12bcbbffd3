// The caller side of the API: turns a contract into typed async functions over a
// Channel. Unary calls return promises; stream calls return async iterables whose
// `break`/`return` or AbortSignal sends a cancel. Used by the renderer, tests and CLI.
import type { Channel } from "./channel.ts";
import type { CallOptions, ClientOf, ContractDef } from "./rpc.ts";
import type { ZodType } from "zod";
import { ApiError, cancelledError, invalidInputError } from "./errors.ts";
import { serverMessageSchema, type ClientMessage } from "./wire.ts";

/** Options for createApiClient. */
export interface ApiClientOptions {
  /** Validate inputs on the client too, so mistakes fail before a round trip. Default true. */
  validateInputs?: boolean;
}

interface Pending {
  onMessage(msg: { t: "ok" | "item" | "end" | "err"; v?: unknown; e?: unknown }): void;
  onClose(): void;
}

/** Typed client plus a way to tear it down. */
export type ApiClient<C extends ContractDef> = ClientOf<C> & {
  /** Rejects all calls in flight and stops listening. */
  $close(): void;
};

export function createApiClient<C extends ContractDef>(
  contract: C,
  channel: Channel,
  options: ApiClientOptions = {},
): ApiClient<C> {
  const validate = options.validateInputs ?? true;
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, Pending>();

  const offMessage = channel.onMessage((raw) => {
    const msg = serverMessageSchema.safeParse(raw);
    if (!msg.success) return;
    pending.get(msg.data.id)?.onMessage(msg.data);
  });
  const closeAll = () => {
    closed = true;
    for (const p of [...pending.values()]) p.onClose();
    pending.clear();
  };
  const offClose = channel.onClose(closeAll);
  const disconnected = () => new ApiError("unavailable", "Connection to Lathe closed");

  function prepare(name: string, schema: ZodType, input: unknown) {
    if (closed) throw disconnected();
    if (validate) {
      const r = schema.safeParse(input);
      if (!r.success) throw invalidInputError(name, r.error);
    }
    const id = nextId++;
    channel.send({ t: "call", id, m: name, a: input ?? {} } satisfies ClientMessage);
    return id;
  }
  const cancel = (id: number) => {
    if (pending.delete(id)) channel.send({ t: "cancel", id } satisfies ClientMessage);
  };

  function callUnary(name: string, schema: ZodType, input: unknown, opts?: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const signal = opts?.signal;
      if (signal?.aborted) return reject(cancelledError(signal.reason));
      let id: number;
      try {
        id = prepare(name, schema, input);
      } catch (e) {
        return reject(e);
      }
      const onAbort = () => {
        cancel(id);
        reject(cancelledError(signal?.reason));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        pending.delete(id);
        signal?.removeEventListener("abort", onAbort);
      };
      pending.set(id, {
        onMessage(m) {
          done();
          if (m.t === "ok") resolve(m.v);
          else if (m.t === "err") reject(ApiError.from(m.e as never));
          else reject(new ApiError("internal", `Unexpected "${m.t}" for unary ${name}`));
        },
        onClose() {
          done();
          reject(disconnected());
        },
      });
    });
  }

  function callStream(name: string, schema: ZodType, input: unknown, opts?: CallOptions): AsyncIterable<unknown> {
    return {
      [Symbol.asyncIterator]() {
        const queue: unknown[] = [];
        let finished = false;
        let failure: unknown;
        let wake: (() => void) | undefined;
        let id = -1;
        const signal = opts?.signal;
        const notify = () => {
          wake?.();
          wake = undefined;
        };
        const onAbort = () => {
          if (finished) return;
          cancel(id);
          finished = true;
          failure = cancelledError(signal?.reason);
          notify();
        };
        const start = () => {
          if (id >= 0) return;
          if (signal?.aborted) {
            finished = true;
            failure = cancelledError(signal.reason);
            return;
          }
          try {
            id = prepare(name, schema, input);
          } catch (e) {
            finished = true;
            failure = e;
            return;
          }
          signal?.addEventListener("abort", onAbort, { once: true });
          pending.set(id, {
            onMessage(m) {
              if (m.t === "item") queue.push(m.v);
              else {
                finished = true;
                pending.delete(id);
                signal?.removeEventListener("abort", onAbort);
                if (m.t === "err") failure = ApiError.from(m.e as never);
                else if (m.t === "ok") failure = new ApiError("internal", `Unexpected "ok" for stream ${name}`);
              }
              notify();
            },
            onClose() {
              finished = true;
              failure = disconnected();
              notify();
            },
          });
        };
        return {
          async next(): Promise<IteratorResult<unknown>> {
            start();
            for (;;) {
              if (queue.length) return { done: false, value: queue.shift() };
              if (finished) {
                if (failure) {
                  const f = failure;
                  failure = undefined;
                  throw f;
                }
                return { done: true, value: undefined };
              }
              await new Promise<void>((r) => (wake = r));
            }
          },
          async return(): Promise<IteratorResult<unknown>> {
            if (!finished && id >= 0) cancel(id);
            finished = true;
            queue.length = 0;
            signal?.removeEventListener("abort", onAbort);
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  const client: Record<string, unknown> = {
    $close() {
      offMessage();
      offClose();
      closeAll();
    },
  };
  for (const [domain, methods] of Object.entries(contract)) {
    const d: Record<string, unknown> = {};
    for (const [method, def] of Object.entries(methods)) {
      const name = `${domain}.${method}`;
      d[method] =
        def.kind === "unary"
          ? (input: unknown, o?: CallOptions) => callUnary(name, def.input, input, o)
          : (input: unknown, o?: CallOptions) => callStream(name, def.input, input, o);
    }
    client[domain] = d;
  }
  return client as ApiClient<C>;
}

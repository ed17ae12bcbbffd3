// The shape of the typed API: methods are unary (one result) or streams (an async
// iterable of packets), each with a zod schema for its input. Domains (core/api/*.ts)
// declare their methods with `unary(...).returns<T>()` / `stream(...).yields<P>()`;
// client.ts and server.ts derive the caller and handler types from those declarations.
import type { z } from "zod";

/** A method answering once. `O` exists only at the type level. */
export interface UnaryDef<I extends z.ZodType = z.ZodType, O = unknown> {
  readonly kind: "unary";
  readonly input: I;
  /** Phantom: the result type. */
  readonly __output?: O;
}
/** A method answering with a stream of packets `P`, cancellable by AbortSignal. */
export interface StreamDef<I extends z.ZodType = z.ZodType, P = unknown> {
  readonly kind: "stream";
  readonly input: I;
  /** Phantom: the packet type. */
  readonly __packet?: P;
}
export type MethodDef = UnaryDef | StreamDef;
export type DomainDef = Record<string, MethodDef>;
export type ContractDef = Record<string, DomainDef>;

export function unary<I extends z.ZodType>(input: I): { returns<O>(): UnaryDef<I, O> } {
  return { returns: () => ({ kind: "unary", input }) };
}
export function stream<I extends z.ZodType>(input: I): { yields<P>(): StreamDef<I, P> } {
  return { yields: () => ({ kind: "stream", input }) };
}

/** Per-call options on the client side. */
export interface CallOptions {
  /** Aborting cancels the call; the server's handler sees its own signal abort. */
  signal?: AbortSignal;
}

/** What a handler receives besides its validated input. */
export interface CallContext {
  /** Aborted when the caller cancels or disconnects. */
  signal: AbortSignal;
  /** "domain.method", for logs and errors. */
  method: string;
}

/** The caller's view of a contract. */
export type ClientOf<C extends ContractDef> = {
  [D in keyof C]: {
    [M in keyof C[D]]: C[D][M] extends UnaryDef<infer I, infer O>
      ? (input: z.input<I>, options?: CallOptions) => Promise<O>
      : C[D][M] extends StreamDef<infer I, infer P>
        ? (input: z.input<I>, options?: CallOptions) => AsyncIterable<P>
        : never;
  };
};

/** The implementer's view of a contract. */
export type HandlersOf<C extends ContractDef> = {
  [D in keyof C]: DomainHandlers<C[D]>;
};
export type DomainHandlers<Dm extends DomainDef> = {
  [M in keyof Dm]: Dm[M] extends UnaryDef<infer I, infer O>
    ? (input: z.output<I>, ctx: CallContext) => Promise<O> | O
    : Dm[M] extends StreamDef<infer I, infer P>
      ? (input: z.output<I>, ctx: CallContext) => AsyncIterable<P>
      : never;
};

// Packet shapes shared by every stream method (generation, eval runs, critique,
// downloads): one protocol for all long work. A stream ends when the iterable ends;
// failures arrive as a thrown ApiError, so packets need no "error" member on the wire,
// but domains may still yield `{ type: "error" }` for per-item failures that do not end the work.

/** Work advanced: `done` of `total` units (total absent when unknown). */
export interface ProgressPacket {
  type: "progress";
  /** Units finished so far. */
  done: number;
  /** Units in all, when known. */
  total?: number;
  /** What is happening now, for people ("loading tensors", "item 12/200"). */
  label?: string;
}

/** A per-item failure that does not end the stream. */
export interface ItemErrorPacket {
  type: "error";
  /** Which item failed (index or id). */
  item: string | number;
  /** Why, naming the field or line at fault. */
  message: string;
}

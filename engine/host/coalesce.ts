// Fewer messages for fast streams: the host sends a generation's first fragment at once,
// then at most one fragment message per window, merging the fragments made meanwhile
// (texts concatenated, token lists joined). Each message costs a wake-up, a JSON round trip
// and a dispatch in both processes (~0.2 ms of CPU in the client alone), which on a small
// machine is taken from llama.cpp's threads; the renderer paints once per frame anyway.
// Anything that is not a fragment flushes what is pending first, so order never changes.
// Used by main.ts for every call's packets.
import type { FragmentPacket } from "../../core/engine/types.ts";

/** Default window: one 60 Hz frame. */
export const FRAGMENT_WINDOW_MS = 16;

function isFragment(packet: unknown): packet is FragmentPacket {
  return typeof packet === "object" && packet !== null && (packet as { type?: unknown }).type === "fragment";
}

/** Sends one call's packets through `send`, merging fragments that come within `windowMs` of the last send. */
export class PacketCoalescer {
  private pending: FragmentPacket | null = null;
  private lastSent = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (packet: unknown) => void,
    private readonly windowMs = FRAGMENT_WINDOW_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A packet of the call, in order. */
  push(packet: unknown): void {
    if (!isFragment(packet)) {
      this.flush();
      this.send(packet);
      return;
    }
    if (this.pending) {
      // (pending is this class's own copy)
      this.pending.text += packet.text;
      this.pending.tokens.push(...packet.tokens);
      return;
    }
    const wait = this.lastSent + this.windowMs - this.now();
    if (wait <= 0) {
      this.lastSent = this.now();
      this.send(packet);
      return;
    }
    this.pending = { type: "fragment", text: packet.text, tokens: [...packet.tokens] };
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what is pending now (before the call's result, error or any other packet). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending) return;
    const p = this.pending;
    this.pending = null;
    this.lastSent = this.now();
    this.send(p);
  }
}

// Keeps the recent llama.cpp log lines in the host so errors can carry the reason that
// llama.cpp reports only through its logger (often just after the failing call returns).
// Used by main.ts (forwarding) and by every operation that wraps a llama.cpp failure.

/** A ring buffer of log lines with a running sequence number. */
export class LogBuffer {
  private lines: { seq: number; text: string }[] = [];
  private nextSeq = 0;
  constructor(private readonly capacity = 400) {}

  /** Records a line; returns its sequence number. */
  push(text: string): number {
    const seq = this.nextSeq++;
    this.lines.push({ seq, text });
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    return seq;
  }

  /** Sequence number the next line will get (a mark to collect lines "since now"). */
  mark(): number {
    return this.nextSeq;
  }

  /** Lines recorded at or after `mark`, oldest first (at most `limit`, the newest ones). */
  since(mark: number, limit = 40): string[] {
    const out = this.lines.filter((l) => l.seq >= mark).map((l) => l.text);
    return out.slice(-limit);
  }

  /** The newest `limit` lines. */
  tail(limit = 40): string[] {
    return this.lines.slice(-limit).map((l) => l.text);
  }
}

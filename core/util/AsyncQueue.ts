// A push-to-pull bridge: callbacks push values, an async generator pulls them. Lets a
// stream handler forward progress callbacks (model loads, file writes) as packets.

export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private closed = false;
  private wake: (() => void) | undefined;

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.wake?.();
  }

  /** Ends the iteration once the queued items are consumed. */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/**
 * Runs `work`, yielding what it reports through `report` while it runs, then returns
 * its result. Errors from `work` are rethrown after the reports queued before them.
 */
export async function* withReports<P, R>(work: (report: (p: P) => void) => Promise<R>): AsyncGenerator<P, R> {
  const q = new AsyncQueue<P>();
  const done = work((p) => q.push(p)).finally(() => q.close());
  done.catch(() => undefined); // observed below; avoid an unhandled rejection meanwhile
  yield* q;
  return await done;
}

// Saves a message while it is generated: beginAssistantMessage inserts it as `streaming`;
// the writer buffers appended text and writes it at most every throttleMs (a trailing
// timer catches the rest), then finish/stop/fail end it with its final status and stats.
// A process killed mid-stream leaves the text written so far; the next open marks it
// `interrupted` (messages.ts recoverInterrupted).
import { StoreError } from "../core/history/errors.ts";
import type { StreamingMessageWriter } from "../core/history/ports.ts";
import type {
  BeginAssistantMessageInput,
  FinishMessageOptions,
  Message,
  MessageStatus,
} from "../core/history/types.ts";
import { touchConversation } from "./conversations.ts";
import { insertMessage, requireMessage } from "./messages.ts";
import { now, stmt, type Db } from "./sql.ts";

/** Default minimum time between database writes of a growing message. */
export const DEFAULT_STREAM_THROTTLE_MS = 250;

/** Writers not yet ended, per handle, so closing the store can save what they hold. */
const openWriters = new WeakMap<Db, Set<StreamingWriter>>();

/** Starts a streamed assistant message (status `streaming`, empty) and returns its writer. */
export function beginAssistantMessage(db: Db, input: BeginAssistantMessageInput): StreamingWriter {
  const message = insertMessage(db, {
    conversationId: input.conversationId,
    parentId: input.parentId,
    role: "assistant",
    content: "",
    status: "streaming",
    provenance: input.provenance
      ? {
          ...input.provenance,
          promptTokens: null,
          completionTokens: null,
          ttftMs: null,
          tokensPerSecond: null,
          finishedAt: null,
        }
      : null,
  });
  return new StreamingWriter(db, message, input.throttleMs ?? DEFAULT_STREAM_THROTTLE_MS);
}

/** Ends every writer still open on db (flushes, then marks `interrupted`); run by close. */
export function interruptOpenWriters(db: Db): void {
  for (const w of [...(openWriters.get(db) ?? [])]) w.interrupt();
}

export class StreamingWriter implements StreamingMessageWriter {
  readonly messageId: string;
  private readonly conversationId: string;
  private text = "";
  /** Length of `text` already in the database. */
  private written = 0;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ended = false;
  /** A failure of a timer-driven write, reported by the next call. */
  private pendingError: unknown = null;

  constructor(
    private readonly db: Db,
    message: Message,
    private readonly throttleMs: number,
  ) {
    this.messageId = message.id;
    this.conversationId = message.conversationId;
    let set = openWriters.get(db);
    if (!set) openWriters.set(db, (set = new Set()));
    set.add(this);
  }

  get content(): string {
    return this.text;
  }

  append(text: string): void {
    this.checkOpen();
    if (!text) return;
    this.text += text;
    if (this.timer) return;
    const wait = this.lastWriteAt + this.throttleMs - now();
    if (wait <= 0) this.writeNow();
    else this.timer = setTimeout(() => this.onTimer(), wait);
  }

  async flush(): Promise<void> {
    this.checkOpen();
    this.writeNow();
  }

  async finish(options: FinishMessageOptions = {}): Promise<Message> {
    return this.end("complete", null, options);
  }

  async stop(options: FinishMessageOptions = {}): Promise<Message> {
    return this.end("stopped", null, options);
  }

  async fail(error: string, options: FinishMessageOptions = {}): Promise<Message> {
    return this.end("error", error, options);
  }

  /** Saves what is buffered and marks the message `interrupted` (store closing mid-stream). */
  interrupt(): void {
    if (this.ended) return;
    try {
      this.endSync("interrupted", null, {});
    } catch {
      /* the store is closing; recovery at the next open marks it interrupted anyway */
    }
  }

  private onTimer(): void {
    this.timer = null;
    try {
      this.writeNow();
    } catch (err) {
      // Thrown from a timer nobody awaits: keep it for the next append/flush/finish.
      this.pendingError = err;
    }
  }

  private checkOpen(): void {
    if (this.pendingError) {
      const err = this.pendingError;
      this.pendingError = null;
      this.close();
      throw err;
    }
    if (this.ended) throw new StoreError("closed", `Message ${this.messageId} has already been ended.`);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Appends the unwritten tail to the row; a row that is gone or no longer streaming ends the writer. */
  private writeNow(): void {
    this.clearTimer();
    const t = now();
    this.lastWriteAt = t;
    if (this.written === this.text.length) return;
    const delta = this.text.slice(this.written);
    const changes = stmt(
      this.db,
      "UPDATE messages SET content = content || ?, updated_at = ? WHERE id = ? AND status = 'streaming'",
    ).run(delta, t, this.messageId).changes;
    if (changes === 0) {
      this.close();
      throw new StoreError(
        "not-found",
        `Message ${this.messageId} was deleted or ended while it was being written.`,
        {
          id: this.messageId,
        },
      );
    }
    this.written = this.text.length;
  }

  private async end(
    status: MessageStatus,
    error: string | null,
    options: FinishMessageOptions,
  ): Promise<Message> {
    this.checkOpen();
    return this.endSync(status, error, options);
  }

  private endSync(status: MessageStatus, error: string | null, options: FinishMessageOptions): Message {
    this.clearTimer();
    if (options.content !== undefined) this.text = options.content;
    const s = options.stats ?? {};
    const t = now();
    const db = this.db;
    try {
      return db.transaction(() => {
        const changes = stmt(
          db,
          `UPDATE messages SET content = ?, status = ?, error = ?, updated_at = ?
           WHERE id = ? AND status = 'streaming'`,
        ).run(this.text, status, error, t, this.messageId).changes;
        if (changes === 0) {
          throw new StoreError(
            "not-found",
            `Message ${this.messageId} was deleted or ended while it was being written.`,
            {
              id: this.messageId,
            },
          );
        }
        stmt(
          db,
          `UPDATE provenance SET
             prompt_tokens = coalesce(?, prompt_tokens), completion_tokens = coalesce(?, completion_tokens),
             ttft_ms = coalesce(?, ttft_ms), tokens_per_second = coalesce(?, tokens_per_second), finished_at = ?
           WHERE message_id = ?`,
        ).run(
          s.promptTokens ?? null,
          s.completionTokens ?? null,
          s.ttftMs ?? null,
          s.tokensPerSecond ?? null,
          s.finishedAt ?? t,
          this.messageId,
        );
        touchConversation(db, this.conversationId, t);
        return requireMessage(db, this.messageId);
      })();
    } finally {
      this.close();
    }
  }

  private close(): void {
    this.clearTimer();
    this.ended = true;
    openWriters.get(this.db)?.delete(this);
  }
}

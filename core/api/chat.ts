// The `chat` domain: sending, regenerating and editing with a streamed answer. Every
// call is a stream: the stored user message (when one is added), the assistant message
// as it starts, text fragments, and one `done` with the final stored message. Stopping
// is cancelling the stream (AbortSignal): the partial answer is kept, marked stopped.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { Message } from "../history/types.ts";
import type { GenerationTimings, StopReason } from "../engine/types.ts";
import type { ProgressPacket } from "./packets.ts";

const id = z.string().min(1).max(200);

/** Packets of a chat stream, in order: [user] [loading*] assistant fragment* done. */
export type ChatPacket =
  /** The user message was stored (send and edit). */
  | { type: "user"; message: Message }
  /** The conversation's model is being loaded first. */
  | (ProgressPacket & { label: string })
  /** The assistant message was created (status streaming); fragments follow. */
  | { type: "assistant"; message: Message }
  /** More answer text. */
  | { type: "fragment"; text: string }
  /**
   * The answer ended and is stored: complete, stopped (cancelled) or error (the engine
   * failed; `message.error` says why, with llama.cpp's reason where it gave one).
   */
  | {
      type: "done";
      message: Message;
      stopReason: StopReason | "error";
      timings: GenerationTimings | null;
      /** Tokens in the context after this answer (prompt + completion), for the context meter. */
      contextTokens: number | null;
      /** The model's context size, for the context meter. */
      contextSize: number | null;
    };

export const chatApi = {
  /** Adds a user message under the current leaf (or `parentId`) and streams the answer. */
  send: stream(
    z.object({
      conversationId: id,
      /** The user's text (1 to 1M characters). */
      content: z.string().min(1).max(1_000_000),
      /** Answer under this message instead of the current leaf. */
      parentId: id.nullable().optional(),
    }),
  ).yields<ChatPacket>(),
  /** A new answer to the same parent as this assistant message: a sibling branch. */
  regenerate: stream(z.object({ messageId: id })).yields<ChatPacket>(),
  /**
   * Edits a message into a new branch: a sibling with the new content. For a user
   * message the answer is generated; an assistant message is only stored.
   */
  edit: stream(z.object({ messageId: id, content: z.string().min(1).max(1_000_000) })).yields<ChatPacket>(),
  /** Tokens the conversation's current branch takes in its model's context. */
  contextUsage: unary(z.object({ conversationId: id })).returns<{ tokens: number; contextSize: number } | null>(),
};

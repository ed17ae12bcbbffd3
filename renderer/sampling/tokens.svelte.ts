// Stores of the token view (an answer's tokens shaded by probability, top alternatives,
// branching at a token and continuing from it) and the tokenizer view (pieces, ids,
// special tokens and bytes per token of pasted text).
import type { MessageTokens, TokenizeResult } from "../../core/api/sampling.ts";
import type { ConversationSummary, Message } from "../../core/history/types.ts";
import { errorText } from "../ui/errors.ts";
import type { SamplingStore } from "./sampling.svelte.ts";

export class TokenViewStore {
  conversations = $state.raw<ConversationSummary[]>([]);
  conversationId = $state<string | null>(null);
  /** Answers on the conversation's current branch. */
  answers = $state.raw<Message[]>([]);
  messageId = $state<string | null>(null);
  /** The chosen answer's tokens. */
  tokens = $state.raw<MessageTokens | null>(null);
  busy = $state(false);
  /** The branch being generated (text so far); null when none. */
  branching = $state<string | null>(null);
  /** The last branch made. */
  branched = $state.raw<Message | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly shared: SamplingStore) {}

  async loadConversations(): Promise<void> {
    try {
      this.conversations = await this.shared.api.history.listConversations({});
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Shows a conversation's answers (current branch) and picks the last one. */
  async openConversation(id: string, messageId?: string): Promise<void> {
    this.conversationId = id;
    try {
      const path = await this.shared.api.history.getPath({ conversationId: id });
      this.answers = path.nodes.map((n) => n.message).filter((m) => m.role === "assistant" && m.content.length > 0);
      const pick = messageId ?? this.answers.at(-1)?.id ?? null;
      this.error = null;
      if (pick) await this.openMessage(pick);
      else {
        this.messageId = null;
        this.tokens = null;
      }
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async openMessage(id: string): Promise<void> {
    this.messageId = id;
    this.busy = true;
    try {
      this.tokens = await this.shared.api.sampling.messageTokens({ messageId: id });
      this.error = null;
    } catch (err) {
      this.tokens = null;
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  /** Branches the shown answer at token `index` with `tokenId`, streams the continuation, then shows the branch. */
  async branch(index: number, tokenId: number): Promise<void> {
    const messageId = this.messageId;
    if (!messageId || this.branching !== null) return;
    this.branching = "";
    try {
      let made: Message | null = null;
      for await (const p of this.shared.api.sampling.branch({ messageId, tokenIndex: index, tokenId })) {
        if (p.type === "fragment") this.branching += p.text;
        else if (p.type === "done") made = p.message;
      }
      this.branched = made;
      this.error = made?.status === "error" ? (made.error ?? "The branch failed.") : null;
      if (made && this.conversationId) await this.openConversation(this.conversationId, made.id);
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.branching = null;
    }
  }
}

export class TokenizerStore {
  text = $state("The lathe turns a bowl.");
  /** Parse special-token texts as special tokens. */
  special = $state(true);
  result = $state.raw<TokenizeResult | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly shared: SamplingStore) {}

  async run(): Promise<void> {
    const modelId = this.shared.modelId;
    if (!modelId) {
      this.error = "Choose a model first.";
      return;
    }
    try {
      this.result = await this.shared.api.sampling.tokenize({ modelId, text: this.text, specialTokens: this.special });
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

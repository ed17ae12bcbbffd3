// The `chat` store: the open conversation, the messages of its current branch, and the one
// answer being streamed (send, regenerate, edit), with stop, branch switching and the
// per-conversation model and system prompt. Streamed text is buffered and appended once
// per animation frame, not per fragment. ChatPanel and its children call these methods.
import type { ChatPacket } from "../../core/api/chat.ts";
import type { MessageTokens } from "../../core/api/sampling.ts";
import type { Conversation, Message, MessageTreeNode, SearchHit } from "../../core/history/types.ts";
import type { StopReason } from "../../core/engine/types.ts";
import { buildPrompt } from "../../core/sampling/promptBuilder.ts";
import type { Api } from "../api/connect.ts";
import { errorText, isCancelled } from "../ui/errors.ts";

/** Runs `flush` before the next paint (requestAnimationFrame in the app, a fake in tests). */
export type FrameScheduler = (flush: () => void) => void;

/** Options for ChatStore. */
export interface ChatStoreOptions {
  /** Schedules the flush of buffered fragments. Default: requestAnimationFrame. */
  frame?: FrameScheduler;
  /** Called when the conversation list may have changed (created, answered, renamed). Default: nothing. */
  onConversationsChanged?: () => void;
  /** Called after each finished answer, e.g. to refresh the engine status. Default: nothing. */
  onAnswered?: () => void;
}

/** What the last finished answer reported, for the status bar and the context meter. */
export interface AnswerStats {
  /** Generated tokens per second; null when unknown. */
  tokensPerSecond: number | null;
  /** Time to first token in ms; null when unknown. */
  ttftMs: number | null;
  /** Why it ended. */
  stopReason: StopReason | "error";
}

/** Progress of loading the conversation's model before an answer starts. */
export interface LoadingProgress {
  done: number;
  total: number | undefined;
  label: string;
}

/** Tokens used of the model's context. */
export interface ContextUse {
  tokens: number;
  contextSize: number;
}

/** Counters for tests and the UI benchmark: fragments received and frames that appended text. */
export interface StreamStats {
  fragments: number;
  flushes: number;
}

/** A saved prompt-builder template with its prompt rendered as text, for the composer. */
export interface InsertableTemplate {
  id: string;
  name: string;
  /** The built prompt (instruction, examples, input, open output label). */
  text: string;
}

/** A title from the first message: its first line, at most 60 characters. */
export function titleFrom(content: string): string {
  const line = content.trim().split("\n")[0]?.trim() ?? "";
  const title = line.length > 60 ? `${line.slice(0, 59)}…` : line;
  return title || "New conversation";
}

/** Where the next message packet of a stream goes: replacing the node at `index` (a new sibling), or appended. */
interface Placement {
  index: number | null;
}

export class ChatStore {
  /** The open conversation; null for a new chat not sent yet. */
  conversation = $state.raw<Conversation | null>(null);
  /** Messages of the branch on screen, root first. */
  nodes = $state<MessageTreeNode[]>([]);
  /** Model chosen for a new chat before its first message. */
  draftModelId = $state<string | null>(null);
  /** System prompt typed for a new chat before its first message. */
  draftSystemPrompt = $state("");
  /** Sampling preset chosen for a new chat before its first message; null = default. */
  draftPresetId = $state<string | null>(null);
  /** An answer is being streamed. */
  streaming = $state(false);
  /** The conversation the running stream belongs to; null when none runs. */
  streamingConversationId = $state<string | null>(null);
  /** Model loading before the answer, when the shell reports it. */
  loading = $state.raw<LoadingProgress | null>(null);
  /** The last finished answer's numbers; null before the first. */
  lastAnswer = $state.raw<AnswerStats | null>(null);
  /** Context use of the open conversation; null when unknown (model not loaded). */
  context = $state.raw<ContextUse | null>(null);
  /** A failure that belongs to no message (creating the conversation, switching a branch); null when none. */
  error = $state<string | null>(null);
  /** A message to scroll to and mark (a search hit); null when none. */
  focusMessageId = $state<string | null>(null);
  /** Fragment and flush counts since the store was made (not reactive). */
  readonly stats: StreamStats = { fragments: 0, flushes: 0 };

  private controller: AbortController | null = null;
  private streamingMessageId: string | null = null;
  private buffer = "";
  private frameScheduled = false;
  private readonly frame: FrameScheduler;
  /** Increases per open(), so a slow load cannot replace a newer one. */
  private openSeq = 0;

  constructor(
    private readonly api: Api,
    private readonly options: ChatStoreOptions = {},
  ) {
    this.frame = options.frame ?? ((flush) => void requestAnimationFrame(() => flush()));
  }

  /** The model chosen for the open conversation (or the draft). */
  get modelId(): string | null {
    return this.conversation ? this.conversation.modelId : this.draftModelId;
  }

  /** The system prompt of the open conversation (or the draft). */
  get systemPrompt(): string {
    return this.conversation ? this.conversation.systemPrompt : this.draftSystemPrompt;
  }

  /** The sampling preset of the open conversation (or the draft); null = default. */
  get presetId(): string | null {
    return this.conversation ? this.conversation.presetId : this.draftPresetId;
  }

  /** Starts a new chat: nothing is stored until the first message is sent. */
  newChat(): void {
    this.openSeq++;
    this.conversation = null;
    this.nodes = [];
    this.context = null;
    this.error = null;
    this.focusMessageId = null;
    this.draftSystemPrompt = "";
  }

  /** Opens a conversation: its settings, current branch and context use. */
  async open(id: string): Promise<void> {
    const seq = ++this.openSeq;
    this.error = null;
    this.focusMessageId = null;
    try {
      const [conversation, path] = await Promise.all([
        this.api.history.getConversation({ id }),
        this.api.history.getPath({ conversationId: id }),
      ]);
      if (seq !== this.openSeq) return;
      this.conversation = conversation;
      this.nodes = path.nodes;
      this.context = null;
      void this.refreshContext();
    } catch (err) {
      if (seq === this.openSeq) this.error = errorText(err);
    }
  }

  /** Opens a search hit: its conversation, on the branch that holds the hit. */
  async openHit(hit: Pick<SearchHit, "conversationId" | "messageId">): Promise<void> {
    await this.open(hit.conversationId);
    if (this.conversation?.id !== hit.conversationId) return;
    await this.switchBranch(hit.messageId);
    this.focusMessageId = hit.messageId;
  }

  /** Shows the branch through `messageId` (a sibling from the branch switcher) and makes it current. */
  async switchBranch(messageId: string): Promise<void> {
    const id = this.conversation?.id;
    if (!id) return;
    try {
      const path = await this.api.history.switchBranch({ messageId });
      if (path.conversationId !== this.conversation?.id) return;
      this.nodes = path.nodes;
      this.conversation = { ...this.conversation, currentLeafId: path.leafId };
      void this.refreshContext();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Asks the shell how much of the model's context the branch takes (null when the model is not loaded). */
  async refreshContext(): Promise<void> {
    const id = this.conversation?.id;
    if (!id) return;
    try {
      const use = await this.api.chat.contextUsage({ conversationId: id });
      if (this.conversation?.id === id) this.context = use;
    } catch {
      // Unknown context use is shown as unknown; it is not worth an error line.
    }
  }

  /** Sends a message in the open conversation, creating the conversation first for a new chat. */
  async send(content: string): Promise<void> {
    if (this.streaming || !content.trim()) return;
    let conversation = this.conversation;
    if (!conversation) {
      try {
        conversation = await this.api.history.createConversation({
          title: titleFrom(content),
          ...(this.draftModelId ? { modelId: this.draftModelId } : {}),
          ...(this.draftSystemPrompt ? { systemPrompt: this.draftSystemPrompt } : {}),
          ...(this.draftPresetId ? { presetId: this.draftPresetId } : {}),
        });
      } catch (err) {
        this.error = errorText(err);
        return;
      }
      this.openSeq++;
      this.conversation = conversation;
      this.nodes = [];
      this.options.onConversationsChanged?.();
    }
    const conversationId = conversation.id;
    await this.run(conversationId, { index: null }, (signal) =>
      this.api.chat.send({ conversationId, content }, { signal }),
    );
  }

  /** A new answer beside an assistant message (a sibling branch). */
  async regenerate(messageId: string): Promise<void> {
    const index = this.indexOf(messageId);
    const conversationId = this.conversation?.id;
    if (this.streaming || index < 0 || !conversationId) return;
    await this.run(conversationId, { index }, (signal) => this.api.chat.regenerate({ messageId }, { signal }));
  }

  /** Edits a message into a new branch; for a user message the answer is streamed. */
  async edit(messageId: string, content: string): Promise<void> {
    const index = this.indexOf(messageId);
    const conversationId = this.conversation?.id;
    if (this.streaming || index < 0 || !conversationId || !content.trim()) return;
    await this.run(conversationId, { index }, (signal) => this.api.chat.edit({ messageId, content }, { signal }));
  }

  /** The prompt builder's saved templates, each rendered as it asks (zero, one or few shots). */
  async promptTemplates(): Promise<InsertableTemplate[]> {
    const all = await this.api.sampling.listTemplates({});
    return all.map((t) => ({ id: t.id, name: t.name, text: buildPrompt(t.spec).text }));
  }

  /** An answer's tokens with probabilities and top-5 alternatives (the token view). */
  messageTokens(messageId: string): Promise<MessageTokens> {
    return this.api.sampling.messageTokens({ messageId, topN: 5 });
  }

  /**
   * Branches an answer at token `tokenIndex` with `tokenId` instead: a sibling answer that
   * keeps the tokens before it, puts the chosen one in its place and goes on generating.
   */
  async branchAtToken(messageId: string, tokenIndex: number, tokenId: number): Promise<void> {
    const index = this.indexOf(messageId);
    const conversationId = this.conversation?.id;
    if (this.streaming || index < 0 || !conversationId) return;
    await this.run(conversationId, { index }, (signal) => this.api.sampling.branch({ messageId, tokenIndex, tokenId }, { signal }));
  }

  /** Stops the answer being streamed; the partial text is kept and marked stopped. */
  stop(): void {
    this.controller?.abort("stopped by the user");
  }

  /** Sets the open conversation's model (or the draft's). */
  async setModel(modelId: string | null): Promise<void> {
    if (!this.conversation) {
      this.draftModelId = modelId;
      return;
    }
    await this.patch({ modelId });
    this.context = null;
    void this.refreshContext();
  }

  /** Sets the open conversation's system prompt (or the draft's). */
  async setSystemPrompt(systemPrompt: string): Promise<void> {
    if (!this.conversation) {
      this.draftSystemPrompt = systemPrompt;
      return;
    }
    if (systemPrompt === this.conversation.systemPrompt) return;
    await this.patch({ systemPrompt });
  }

  /** Sets the open conversation's sampling preset (or the draft's); null = default. */
  async setPreset(presetId: string | null): Promise<void> {
    if (!this.conversation) {
      this.draftPresetId = presetId;
      return;
    }
    await this.patch({ presetId });
  }

  /** Renames the open conversation. */
  async rename(title: string): Promise<void> {
    const t = title.trim();
    if (this.conversation && t && t !== this.conversation.title) await this.patch({ title: t.slice(0, 200) });
  }

  private async patch(patch: { modelId?: string | null; presetId?: string | null; systemPrompt?: string; title?: string }): Promise<void> {
    const id = this.conversation?.id;
    if (!id) return;
    try {
      const updated = await this.api.history.updateConversation({ id, patch });
      if (this.conversation?.id === id) this.conversation = updated;
      this.options.onConversationsChanged?.();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  private indexOf(messageId: string): number {
    return this.nodes.findIndex((n) => n.message.id === messageId);
  }

  /** The node of a message on screen, when the stream's conversation is the open one. */
  private nodeOf(messageId: string | null): MessageTreeNode | undefined {
    return messageId ? this.nodes.find((n) => n.message.id === messageId) : undefined;
  }

  private place(conversationId: string, message: Message, at: Placement): void {
    if (this.conversation?.id !== conversationId) return;
    const index = at.index;
    at.index = null;
    if (index !== null && index < this.nodes.length) {
      const old = this.nodes[index]!;
      const siblingIds = old.siblingIds.includes(message.id) ? old.siblingIds : [...old.siblingIds, message.id];
      this.nodes = [...this.nodes.slice(0, index), { message, siblingIds, siblingIndex: siblingIds.indexOf(message.id) }];
    } else {
      this.nodes.push({ message, siblingIds: [message.id], siblingIndex: 0 });
    }
  }

  private onFragment(text: string): void {
    this.stats.fragments++;
    if (!text) return;
    this.buffer += text;
    if (this.frameScheduled) return;
    this.frameScheduled = true;
    this.frame(() => {
      this.frameScheduled = false;
      this.flush();
    });
  }

  /** Appends the buffered fragments to the streaming message: one DOM update per frame. */
  private flush(): void {
    if (!this.buffer) return;
    const node = this.nodeOf(this.streamingMessageId);
    if (node) node.message.content += this.buffer;
    this.buffer = "";
    this.stats.flushes++;
  }

  private setStatus(messageId: string | null, status: Message["status"], error: string | null): boolean {
    const node = this.nodeOf(messageId);
    if (!node) return false;
    node.message.status = status;
    node.message.error = error;
    return true;
  }

  private handle(conversationId: string, p: ChatPacket, at: Placement): void {
    switch (p.type) {
      case "user":
        this.place(conversationId, p.message, at);
        this.options.onConversationsChanged?.();
        break;
      case "progress":
        this.loading = { done: p.done, total: p.total, label: p.label ?? "Loading the model" };
        break;
      case "assistant":
        this.loading = null;
        this.streamingMessageId = p.message.id;
        this.place(conversationId, p.message, at);
        break;
      case "fragment":
        this.onFragment(p.text);
        break;
      case "done": {
        this.flush();
        const node = this.nodeOf(p.message.id);
        if (node) node.message = p.message;
        else if (p.message.id !== this.streamingMessageId) this.place(conversationId, p.message, at);
        const prov = p.message.provenance;
        this.lastAnswer = {
          tokensPerSecond: p.timings?.tokensPerS ?? prov?.tokensPerSecond ?? null,
          ttftMs: p.timings?.ttftMs ?? prov?.ttftMs ?? null,
          stopReason: p.stopReason,
        };
        if (p.contextTokens !== null && p.contextSize !== null && this.conversation?.id === conversationId) {
          this.context = { tokens: p.contextTokens, contextSize: p.contextSize };
        }
        this.options.onAnswered?.();
        break;
      }
    }
  }

  private async run(
    conversationId: string,
    at: Placement,
    start: (signal: AbortSignal) => AsyncIterable<ChatPacket>,
  ): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.streaming = true;
    this.streamingConversationId = conversationId;
    this.streamingMessageId = null;
    this.loading = null;
    this.error = null;
    this.focusMessageId = null;
    let failed = false;
    try {
      for await (const p of start(controller.signal)) this.handle(conversationId, p, at);
    } catch (err) {
      failed = true;
      this.flush();
      if (isCancelled(err)) {
        this.setStatus(this.streamingMessageId, "stopped", null);
      } else {
        const text = errorText(err);
        if (!this.setStatus(this.streamingMessageId, "error", text) && this.conversation?.id === conversationId) {
          this.error = text;
        }
      }
    } finally {
      this.buffer = "";
      this.controller = null;
      this.streaming = false;
      this.streamingConversationId = null;
      this.streamingMessageId = null;
      this.loading = null;
    }
    // The shell's tree is the truth for sibling lists; a stopped or failed answer keeps
    // what was shown, since the shell may still be writing its final state.
    if (!failed) await this.reload(conversationId);
    this.options.onConversationsChanged?.();
  }

  /** Re-reads the conversation and its branch after an answer. */
  private async reload(conversationId: string): Promise<void> {
    try {
      const [conversation, path] = await Promise.all([
        this.api.history.getConversation({ id: conversationId }),
        this.api.history.getPath({ conversationId }),
      ]);
      if (this.conversation?.id !== conversationId || this.streaming) return;
      this.conversation = conversation;
      this.nodes = path.nodes;
    } catch (err) {
      if (this.conversation?.id === conversationId) this.error = errorText(err);
    }
  }
}

// The explainer's store: fetches the model's next-token distribution for a typed prompt or
// a conversation once, then re-runs core/sampling/explain.ts on every change of the shared
// config, so the chart follows the sliders without another call to the engine.
import type { ExplainResult } from "../../core/api/sampling.ts";
import type { ConversationSummary } from "../../core/history/types.ts";
import { explainSampling, type SamplingExplanation } from "../../core/sampling/explain.ts";
import { errorText } from "../ui/errors.ts";
import type { SamplingStore } from "./sampling.svelte.ts";

export class ExplainStore {
  /** Condition on a typed prompt or a stored conversation. */
  source = $state<"prompt" | "conversation">("prompt");
  /** The typed prompt. */
  text = $state("The lathe ");
  /** Send the typed prompt through the chat template (true) or raw (false). */
  chat = $state(false);
  /** The conversation to explain after (its current leaf). */
  conversationId = $state<string | null>(null);
  /** Conversations to pick from. */
  conversations = $state.raw<ConversationSummary[]>([]);
  /** The last distribution fetched. */
  result = $state.raw<ExplainResult | null>(null);
  /** A fetch is in flight. */
  busy = $state(false);
  /** Why the last fetch failed; null when it worked. */
  error = $state<string | null>(null);

  constructor(private readonly shared: SamplingStore) {}

  /** The explanation of the current config over the fetched distribution (recomputed live). */
  readonly live: SamplingExplanation | null = $derived.by(() => {
    const r = this.result;
    if (!r) return null;
    const config = this.shared.config;
    // Text entries of the token bias were tokenized for the config of the fetch; a changed bias
    // uses its numeric entries until the next fetch.
    const sameBias = JSON.stringify(config.tokenBias) === JSON.stringify(r.config.tokenBias);
    return explainSampling(r.distribution, config, {
      recentTokens: r.recentTokens,
      newlineToken: r.newlineToken,
      eogTokens: r.eogTokens,
      ...(sameBias ? { tokenBias: r.tokenBias } : {}),
    });
  });

  async loadConversations(): Promise<void> {
    try {
      this.conversations = await this.shared.api.history.listConversations({});
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Fetches the distribution for the current source, model and config. */
  async run(): Promise<void> {
    const modelId = this.shared.modelId;
    if (this.source === "prompt" && !modelId) {
      this.error = "Choose a model first.";
      return;
    }
    if (this.source === "conversation" && !this.conversationId) {
      this.error = "Choose a conversation first.";
      return;
    }
    this.busy = true;
    try {
      this.result = await this.shared.api.sampling.explain({
        ...(this.source === "prompt" && modelId ? { modelId } : {}),
        context:
          this.source === "prompt"
            ? { kind: "prompt", prompt: { text: this.text, chat: this.chat } }
            : { kind: "conversation", conversationId: this.conversationId! },
        config: this.shared.config,
      });
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }
}

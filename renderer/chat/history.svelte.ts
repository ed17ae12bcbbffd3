// The `history` store for the conversation sidebar: the conversation list (pinned first),
// and full-text search with highlighted snippet parts. Opening a conversation or a hit is
// the chat store's job (chat.svelte.ts); the sidebar calls both.
import type { ConversationSummary, SearchHit } from "../../core/history/types.ts";
import type { Api } from "../api/connect.ts";
import { errorText } from "../ui/errors.ts";

/** Pinned first; otherwise keep the shell's order (most recently updated first). */
export function pinnedFirst(list: readonly ConversationSummary[]): ConversationSummary[] {
  return [...list.filter((c) => c.pinned), ...list.filter((c) => !c.pinned)];
}

export class HistoryStore {
  /** Conversations, pinned first. */
  conversations = $state.raw<ConversationSummary[]>([]);
  /** The list has been fetched at least once. */
  loaded = $state(false);
  /** The search words on screen ("" = show the list). */
  query = $state("");
  /** Hits for `query`, best first. */
  hits = $state.raw<SearchHit[]>([]);
  /** A search is in flight. */
  searching = $state(false);
  /** Why the last list or search call failed; null when it worked. */
  error = $state<string | null>(null);

  /** Increases per search, so a slow old answer cannot replace a newer one. */
  private searchSeq = 0;

  constructor(private readonly api: Api) {}

  /** Fetches the conversation list. */
  async refresh(): Promise<void> {
    try {
      this.conversations = pinnedFirst(await this.api.history.listConversations({}));
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Searches the history; an empty query clears the hits. */
  async search(query: string): Promise<void> {
    this.query = query;
    const seq = ++this.searchSeq;
    const words = query.trim();
    if (!words) {
      this.hits = [];
      this.searching = false;
      return;
    }
    this.searching = true;
    try {
      const hits = await this.api.history.search({ query: words, limit: 50 });
      if (seq !== this.searchSeq) return;
      this.hits = hits;
      this.error = null;
    } catch (err) {
      if (seq !== this.searchSeq) return;
      this.hits = [];
      this.error = errorText(err);
    } finally {
      if (seq === this.searchSeq) this.searching = false;
    }
  }

  /** Leaves search mode. */
  clearSearch(): void {
    void this.search("");
  }

  /** Pins or unpins a conversation. */
  async setPinned(id: string, pinned: boolean): Promise<void> {
    try {
      await this.api.history.updateConversation({ id, patch: { pinned } });
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Deletes a conversation with all its messages. */
  async remove(id: string): Promise<void> {
    try {
      await this.api.history.deleteConversation({ id });
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

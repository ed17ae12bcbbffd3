// One loaded model and its contexts: one context per distinct adapter set (LoRA lives on
// the context in llama.cpp), created on first use, cached, and evicted least-recently-used
// when the per-model count or memory budget is exceeded. Switching adapter sets never
// reloads the base weights. Work borrows sequences through leases. A request may ask for a
// context with more sequences than the load chose (`lease(..., sequences)`, used by compare
// columns that decode together); that context is keyed apart and cached the same way.
// Owned by HostRuntime.
import type { LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { EngineError } from "../../core/engine/errors.ts";
import type { AdapterRef, ContextStatus, ModelInfo } from "../../core/engine/types.ts";
import type { GgufHeader } from "../../core/gguf/header.ts";
import { checkAdapterFile } from "./ggufCheck.ts";
import type { LogBuffer } from "./LogBuffer.ts";

/** Thrown by the context-shift strategy of sequences that must never drop tokens. */
export class NoContextShiftError extends EngineError {
  constructor() {
    super("prompt_too_long", "prompt does not fit in the context (nothing was truncated)");
  }
}

/** Sequences borrowed from one context. */
export interface Lease {
  readonly context: LlamaContext;
  readonly sequences: LlamaContextSequence[];
  release(): void;
}

/** Context settings fixed at model load. */
export interface ContextSettings {
  contextSize: number;
  sequences: number;
  threads: number;
  flashAttention: "auto" | boolean;
}

/** Limits on cached contexts per model, and whether adapters are checked before use. */
export interface ContextBudget {
  maxContexts: number;
  maxBytes: number | null;
  validateAdapters: boolean;
}

class ContextEntry {
  busy = 0;
  lastUsed = performance.now();
  readonly free: LlamaContextSequence[];
  readonly waiters: { want: number; resolve: (seqs: LlamaContextSequence[]) => void; reject: (err: unknown) => void }[] = [];
  constructor(
    readonly key: string,
    readonly adapters: AdapterRef[],
    readonly context: LlamaContext,
    readonly sequences: LlamaContextSequence[],
  ) {
    this.free = sequences.slice();
  }
}

/** The canonical key of an adapter set (order-independent: adapters add up). */
export function adapterSetKey(adapters: readonly AdapterRef[]): string {
  return JSON.stringify(canonicalAdapters(adapters).map((a) => [a.path, a.scale]));
}

/** Adapters sorted by path then scale, so equal sets share a context. */
export function canonicalAdapters(adapters: readonly AdapterRef[]): AdapterRef[] {
  return [...adapters].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : x.scale - y.scale));
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ModelSlot {
  private readonly contexts = new Map<string, ContextEntry>();
  private readonly creating = new Map<string, Promise<ContextEntry>>();
  private readonly checkedAdapters = new Set<string>();
  private disposed = false;
  /** Contexts created and evicted over the slot's life (for status counters). */
  contextsCreated = 0;
  contextsEvicted = 0;

  constructor(
    readonly info: ModelInfo,
    readonly model: LlamaModel,
    readonly header: GgufHeader | null,
    readonly settings: ContextSettings,
    private readonly budget: ContextBudget,
    private readonly logs: LogBuffer,
  ) {}

  /**
   * Borrows up to `want` sequences (at least one) of the context for `adapters`. With
   * `sequences` above the load's setting, the lease comes from a context with that many
   * sequences (made on first use), so that many concurrent leases run at once.
   */
  async lease(adapters: readonly AdapterRef[], signal: AbortSignal | undefined, want = 1, sequences?: number): Promise<Lease> {
    const wide = Math.max(this.settings.sequences, sequences ?? 0);
    let entry: ContextEntry;
    try {
      entry = await this.contextFor(adapters, signal, this.budget.validateAdapters, wide);
    } catch (err) {
      // A wider context that cannot be made (memory, usually) is an optimisation lost, not
      // a failure: the work queues on the set's own context and runs one after another.
      if (wide === this.settings.sequences || signal?.aborted || !(err instanceof EngineError) || err.reason !== "internal") throw err;
      this.logs.push(`[warn] engine: a context with ${wide} sequences could not be created (${err.message}); using the model's own context, one request after another`);
      entry = await this.contextFor(adapters, signal, this.budget.validateAdapters, this.settings.sequences);
    }
    entry.lastUsed = performance.now();
    let seqs: LlamaContextSequence[];
    if (entry.free.length > 0) {
      seqs = entry.free.splice(0, Math.max(1, Math.min(want, entry.free.length)));
      entry.busy += seqs.length;
    } else {
      // A waiter is counted busy by the release that hands it sequences (so the context
      // cannot be evicted between the hand-over and this continuation), not again here.
      seqs = await new Promise<LlamaContextSequence[]>((resolve, reject) => {
        const waiter = { want, resolve, reject };
        entry.waiters.push(waiter);
        signal?.addEventListener(
          "abort",
          () => {
            const i = entry.waiters.indexOf(waiter);
            if (i >= 0) {
              entry.waiters.splice(i, 1);
              reject(new EngineError("cancelled", "cancelled while waiting for a free sequence"));
            }
          },
          { once: true },
        );
      });
    }
    let released = false;
    return {
      context: entry.context,
      sequences: seqs,
      release: () => {
        if (released) return;
        released = true;
        entry.busy -= seqs.length;
        entry.lastUsed = performance.now();
        if (entry.context.disposed) return;
        entry.free.push(...seqs);
        while (entry.waiters.length && entry.free.length) {
          const w = entry.waiters.shift()!;
          const got = entry.free.splice(0, Math.max(1, Math.min(w.want, entry.free.length)));
          entry.busy += got.length;
          w.resolve(got);
        }
        void this.evictOverBudget();
      },
    };
  }

  private async contextFor(adapters: readonly AdapterRef[], signal: AbortSignal | undefined, validateAdapters: boolean, sequences: number): Promise<ContextEntry> {
    if (this.disposed) throw new EngineError("model_not_loaded", `model ${this.info.id} was unloaded`);
    const canonical = canonicalAdapters(adapters);
    // The load's own sequence count keeps the plain key; wider contexts are keyed apart.
    const key = adapterSetKey(canonical) + (sequences === this.settings.sequences ? "" : `#${sequences}`);
    const existing = this.contexts.get(key);
    if (existing) return existing;
    let pending = this.creating.get(key);
    if (!pending) {
      pending = this.createContext(key, canonical, signal, validateAdapters, sequences).finally(() => this.creating.delete(key));
      this.creating.set(key, pending);
    }
    return pending;
  }

  private async createContext(key: string, adapters: AdapterRef[], signal: AbortSignal | undefined, validateAdapters: boolean, sequenceCount: number): Promise<ContextEntry> {
    if (validateAdapters && this.header) {
      for (const a of adapters) {
        if (this.checkedAdapters.has(a.path)) continue;
        await checkAdapterFile(a.path, this.header);
        this.checkedAdapters.add(a.path);
      }
    }
    await this.evictOverBudget(1);
    const mark = this.logs.mark();
    let context: LlamaContext;
    try {
      context = await this.model.createContext({
        contextSize: this.settings.contextSize,
        sequences: sequenceCount,
        threads: this.settings.threads,
        flashAttention: this.settings.flashAttention,
        failedCreationRemedy: false,
        createSignal: signal,
        ...(adapters.length ? { lora: { adapters: adapters.map((a) => ({ filePath: a.path, scale: a.scale })) } } : {}),
      });
    } catch (err) {
      // llama.cpp reports the reason through its logger, sometimes after the rejection.
      await wait(30);
      const logs = this.logs.since(mark);
      if (signal?.aborted) throw new EngineError("cancelled", "cancelled while creating a context", logs);
      const msg = err instanceof Error ? err.message : String(err);
      const reason = adapters.length && /lora|adapter/i.test(msg + logs.join("\n")) ? "adapter_mismatch" : "internal";
      const detail = logs.filter((l) => /error|fail|incorrect|mismatch|hint/i.test(l)).at(-1);
      throw new EngineError(reason, detail ? `${msg}: ${detail.replace(/^\[\w+\]\s*/, "")}` : msg, logs);
    }
    const sequences: LlamaContextSequence[] = [];
    for (let i = 0; i < sequenceCount; i++) {
      sequences.push(context.getSequence({ contextShift: { strategy: () => Promise.reject(new NoContextShiftError()) } }));
    }
    const entry = new ContextEntry(key, adapters, context, sequences);
    if (this.disposed) {
      await context.dispose();
      throw new EngineError("model_not_loaded", `model ${this.info.id} was unloaded`);
    }
    this.contexts.set(key, entry);
    this.contextsCreated++;
    return entry;
  }

  /** Disposes least-recently-used idle contexts until `room` more fit the budget. */
  private async evictOverBudget(room = 0): Promise<void> {
    const over = () => {
      if (this.contexts.size + room > this.budget.maxContexts) return true;
      if (this.budget.maxBytes == null) return false;
      let bytes = 0;
      for (const e of this.contexts.values()) bytes += e.context.memoryUsage.ram + e.context.memoryUsage.vram;
      return bytes > this.budget.maxBytes;
    };
    while (over()) {
      const idle = [...this.contexts.values()].filter((e) => e.busy === 0 && e.waiters.length === 0).sort((a, b) => a.lastUsed - b.lastUsed);
      const victim = idle[0];
      if (!victim) return; // everything is in use: go over budget rather than block work
      this.contexts.delete(victim.key);
      this.contextsEvicted++;
      await victim.context.dispose();
    }
  }

  /** Context descriptions for status. */
  contextStatus(): ContextStatus[] {
    return [...this.contexts.values()].map((e) => ({
      adapters: e.adapters,
      contextSize: e.context.contextSize,
      sequences: e.sequences.length,
      busy: e.busy,
      threads: this.settings.threads,
      memoryBytes: e.context.memoryUsage.ram + e.context.memoryUsage.vram,
      lastUsed: e.lastUsed,
    }));
  }

  /** Disposes every context, then the model. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const entries = [...this.contexts.values()];
    this.contexts.clear();
    for (const e of entries) {
      for (const w of e.waiters.splice(0)) w.reject(new EngineError("model_not_loaded", `model ${this.info.id} was unloaded`));
      await e.context.dispose();
    }
    await this.model.dispose();
  }
}

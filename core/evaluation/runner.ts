// The run pipeline: evaluates the items a run still lacks against the engine port, one at a
// time or `concurrency` at once (generation, multiple choice by log-likelihood, perplexity), asks each judge about
// every generated answer, hands each finished item to `save` at once (so a run resumes after
// a restart) and reports progress with an ETA. Cancelling stops between engine calls.
// Called by the evaluation service (core/services/evaluation.ts), which owns the store.
import type { Engine } from "../engine/port.ts";
import type { AdapterRef, DonePacket } from "../engine/types.ts";
import { samplingConfigSchema, type SamplingConfig } from "../sampling/config.ts";
import { JUDGE_VERDICT_GRAMMAR, judgePrompt, parseVerdict, renderContext, renderPrompt } from "./prompts.ts";
import type { EvalItem, JudgeSpec, JudgeVerdict, PromptTemplate, RunItemResult, TaskType } from "./types.ts";

/** What the pipeline needs to evaluate items. */
export interface RunPlan {
  task: TaskType;
  prompt: PromptTemplate;
  /** Text between context and choice (multiple choice). */
  targetDelimiter: string;
  /** Engine handle of the evaluated model. */
  modelId: string;
  adapters: AdapterRef[];
  sampling: SamplingConfig;
  /** Dataset items, by index. */
  items: readonly EvalItem[];
  /** Indices still to evaluate, in order. */
  pending: readonly number[];
  /** Items already done before this call (resume), for progress. */
  alreadyDone: number;
  /** Judges with the engine handle of their model. */
  judges: readonly { spec: JudgeSpec; modelId: string }[];
}

/** Progress of a run. */
export interface RunProgress {
  type: "progress";
  /** Items done (including those done before a resume). */
  done: number;
  total: number;
  /** Estimated milliseconds left (null until an item finished in this session). */
  etaMs: number | null;
  label: string;
}

/** A finished item. */
export interface RunItemPacket {
  type: "item";
  result: RunItemResult;
}

/** Options of runPipeline. */
export interface RunPipelineOptions {
  /** Stores one finished item; awaited before the next starts. */
  save: (result: RunItemResult) => Promise<void>;
  signal: AbortSignal;
  /** Clock for ETA (ms). Default performance.now. */
  now?: () => number;
  /** Items evaluated at once (a remote provider's concurrency); results are still saved and reported one by one. Default 1. */
  concurrency?: number;
}

const judgeSampling = samplingConfigSchema.parse({ temperature: 0, maxTokens: 8 });

async function generateText(engine: Engine, request: Parameters<Engine["generate"]>[0], signal: AbortSignal): Promise<DonePacket> {
  let done: DonePacket | null = null;
  for await (const p of engine.generate(request, { signal })) if (p.type === "done") done = p;
  if (!done) throw new Error("The engine ended the generation without a result.");
  return done;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; details?: { logs?: unknown } };
  return e.message ?? String(err);
}

/** Evaluates one item; engine failures become the item's `error` (cancellation rethrows). */
export async function evaluateItem(engine: Engine, plan: RunPlan, index: number, signal: AbortSignal, now: () => number): Promise<RunItemResult> {
  const item = plan.items[index]!;
  const start = now();
  const base: RunItemResult = {
    index,
    prompt: "",
    prediction: null,
    logLikelihoods: null,
    choiceTokens: null,
    perplexity: null,
    judges: [],
    error: null,
    ms: 0,
    tokens: 0,
  };
  const r = { ...base };
  try {
    if (plan.task === "generation") {
      const rendered = renderPrompt(plan.prompt, item.input);
      r.prompt = rendered.text;
      const done = await generateText(
        engine,
        { modelId: plan.modelId, adapters: plan.adapters, prompt: rendered.prompt, sampling: plan.sampling },
        signal,
      );
      if (done.stopReason === "abort") signal.throwIfAborted();
      r.prediction = done.text;
      r.tokens = done.timings.promptTokens + done.timings.completionTokens;
      for (const j of plan.judges) {
        const prompt = judgePrompt(j.spec, item.input, done.text);
        const reply = await generateText(
          engine,
          {
            modelId: j.modelId,
            adapters: [],
            prompt: { kind: "chat", messages: [{ role: "user", content: prompt }] },
            sampling: j.spec.constrain ? { ...judgeSampling, grammar: JUDGE_VERDICT_GRAMMAR } : judgeSampling,
          },
          signal,
        );
        if (reply.stopReason === "abort") signal.throwIfAborted();
        const verdict: JudgeVerdict = { name: j.spec.name, prompt, reply: reply.text, verdict: parseVerdict(reply.text) };
        r.judges.push(verdict);
      }
    } else if (plan.task === "multiple_choice") {
      const context = renderContext(plan.prompt, item.input);
      r.prompt = context;
      const choices = item.choices ?? [];
      const out = await engine.logLikelihood(
        { modelId: plan.modelId, adapters: plan.adapters, context, continuations: choices.map((c) => plan.targetDelimiter + c) },
        { signal },
      );
      r.logLikelihoods = out.results.map((x) => x.logprob);
      r.choiceTokens = out.results.map((x) => x.tokens);
      r.tokens = out.evaluatedTokens;
    } else {
      r.prompt = item.input;
      const out = await engine.perplexity({ modelId: plan.modelId, adapters: plan.adapters, text: item.input }, { signal });
      r.perplexity = { sumLogprob: -out.meanNll * out.tokens, tokens: out.tokens };
      r.tokens = out.tokens;
    }
  } catch (err) {
    if (signal.aborted) throw err;
    r.error = errorText(err);
  }
  r.ms = Math.round(now() - start);
  return r;
}

/** Evaluates the pending items in order, saving each; yields progress and items. Throws when cancelled. */
export async function* runPipeline(engine: Engine, plan: RunPlan, options: RunPipelineOptions): AsyncGenerator<RunProgress | RunItemPacket> {
  const now = options.now ?? (() => performance.now());
  const total = plan.alreadyDone + plan.pending.length;
  let done = plan.alreadyDone;
  const started = now();
  yield { type: "progress", done, total, etaMs: null, label: `${done}/${total} items` };
  let finishedHere = 0;
  const width = Math.max(1, Math.min(options.concurrency ?? 1, plan.pending.length));
  if (width > 1) {
    // N items in flight; each is saved and reported as it finishes (its index says which).
    const queue = [...plan.pending];
    const finished: RunItemResult[] = [];
    let wake: (() => void) | null = null;
    let failure: unknown = null;
    let stopping = false;
    let running = 0;
    const worker = async () => {
      running++;
      try {
        for (let index = queue.shift(); index !== undefined && failure === null && !stopping; index = queue.shift()) {
          options.signal.throwIfAborted();
          const result = await evaluateItem(engine, plan, index, options.signal, now);
          await options.save(result);
          finished.push(result);
          wake?.();
        }
      } catch (err) {
        failure ??= err;
      } finally {
        running--;
        wake?.();
      }
    };
    const workers = Array.from({ length: width }, () => worker());
    try {
      while (running > 0 || finished.length > 0) {
        if (!finished.length) {
          await new Promise<void>((r) => (wake = r));
          wake = null;
          continue;
        }
        const result = finished.shift()!;
        done++;
        finishedHere++;
        const perItem = (now() - started) / finishedHere;
        yield { type: "item", result };
        yield { type: "progress", done, total, etaMs: Math.round(perItem * (total - done)), label: `${done}/${total} items` };
      }
    } finally {
      // The caller stopped reading: items in flight finish and are saved, no new ones start.
      stopping = true;
      await Promise.allSettled(workers);
    }
    if (failure !== null) throw failure;
    return;
  }
  for (const index of plan.pending) {
    options.signal.throwIfAborted();
    const result = await evaluateItem(engine, plan, index, options.signal, now);
    await options.save(result);
    done++;
    finishedHere++;
    const perItem = (now() - started) / finishedHere;
    yield { type: "item", result };
    yield { type: "progress", done, total, etaMs: Math.round(perItem * (total - done)), label: `${done}/${total} items` };
  }
}

// AI preferences (RLAIF): the model judges which of two answers better follows the
// principles, asked twice with the answers swapped to cancel position bias. The pair
// gets a winner only when both orders agree. Written against the engine port; the
// feedback service stores each judgement as a preference.
import type { Engine } from "../engine/port.ts";
import type { AdapterRef, DonePacket } from "../engine/types.ts";
import type { SamplingConfig } from "../sampling/config.ts";
import { JUDGE_GRAMMAR, judgeMessages, parseJudgeVerdict } from "./prompts.ts";
import type { JudgeOrder, Principle } from "./types.ts";

/** What judgePair needs. */
export interface JudgeOptions {
  /** Engine handle of the judge model. */
  modelId: string;
  /** Adapter set. Default []. */
  adapters?: AdapterRef[];
  /** System prompt. Default none. */
  systemPrompt?: string;
  /** Sampling of both judgements (greedy is usual). */
  sampling: SamplingConfig;
  /** Constrain the reply to "A" or "B" with a grammar (and a few tokens). Default true. */
  constrain?: boolean;
  signal?: AbortSignal;
}

/** The pair to judge. */
export interface JudgeInput {
  prompt: string;
  /** Response a (the lower index of the pair). */
  a: string;
  /** Response b. */
  b: string;
  /** Principles to judge by. */
  principles: readonly Principle[];
}

/** Events while judging. */
export type JudgeEvent =
  | { type: "judging"; order: "ab" | "ba" }
  | { type: "verdict"; order: JudgeOrder };

/** The outcome of both orders. */
export interface JudgeResult {
  orders: JudgeOrder[];
  /** Set when both orders gave the same (readable) verdict. */
  winner: "a" | "b" | null;
  agreement: boolean;
  /** Done packets of the two generations. */
  done: DonePacket[];
  /** The sampling config used. */
  sampling: SamplingConfig;
  startedAt: number;
}

/** Maps a letter back to the pair: in order "ab", A is a; in "ba", A is b. */
export function verdictOf(letter: "A" | "B" | null, order: "ab" | "ba"): "a" | "b" | null {
  if (!letter) return null;
  return (letter === "A") === (order === "ab") ? "a" : "b";
}

/** Combines the two orders: a winner only when both readable verdicts agree. */
export function combineVerdicts(orders: readonly JudgeOrder[]): { winner: "a" | "b" | null; agreement: boolean } {
  const [x, y] = orders;
  const agreement = !!x?.verdict && x.verdict === y?.verdict;
  return { winner: agreement ? x.verdict : null, agreement };
}

/** Judges a pair in both orders (a first, then b first). Throws a cancelled error when the signal aborts. */
export async function* judgePair(engine: Engine, input: JudgeInput, o: JudgeOptions): AsyncGenerator<JudgeEvent, JudgeResult> {
  const constrain = o.constrain ?? true;
  const sampling: SamplingConfig = { ...o.sampling };
  if (constrain) {
    // A grammar and a JSON schema exclude each other; the grammar wins here.
    delete sampling.jsonSchema;
    Object.assign(sampling, { grammar: JUDGE_GRAMMAR, maxTokens: Math.min(o.sampling.maxTokens, 8) });
  }
  const startedAt = Date.now();
  const orders: JudgeOrder[] = [];
  const dones: DonePacket[] = [];
  for (const order of ["ab", "ba"] as const) {
    yield { type: "judging", order };
    const [first, second] = order === "ab" ? [input.a, input.b] : [input.b, input.a];
    let done: DonePacket | null = null;
    for await (const p of engine.generate(
      {
        modelId: o.modelId,
        adapters: o.adapters ?? [],
        prompt: { kind: "chat", messages: judgeMessages(input.prompt, first, second, input.principles), ...(o.systemPrompt ? { systemPrompt: o.systemPrompt } : {}) },
        sampling,
      },
      o.signal ? { signal: o.signal } : {},
    )) {
      if (p.type === "done") done = p;
    }
    if (o.signal?.aborted || done?.stopReason === "abort") throw Object.assign(new Error("Cancelled"), { code: "cancelled" });
    if (!done) throw new Error("The engine ended the judgement without a result.");
    const text = done.text.trim();
    const judged: JudgeOrder = { order, text, verdict: verdictOf(parseJudgeVerdict(text), order) };
    orders.push(judged);
    dones.push(done);
    yield { type: "verdict", order: judged };
  }
  return { orders, ...combineVerdicts(orders), done: dones, sampling, startedAt };
}

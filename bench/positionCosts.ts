// What one scored position costs in node-llama-cpp 3.21.1, measured straight on the library
// (no engine host): the same tokens evaluated with no output, with the argmax only, with the
// argmax's probability (`confidence`) and with the full distribution, which is the cheapest
// output that gives the exact log-probability of a token that is not the argmax. Used by
// bench/evalRun.bench.ts to show the floor under multiple-choice scoring.
import { getLlama, type ControlledEvaluateInputItem, type Token } from "node-llama-cpp";
import { median } from "./lib.ts";

/** Milliseconds per evaluated token for each kind of per-position output. */
export interface PositionCosts {
  /** Decode only (no position asks for output). */
  none: number;
  /** Every position asks for the sampled (greedy) token. */
  token: number;
  /** Every position asks for the greedy token and its probability. */
  confidence: number;
  /** Every position asks for the full next-token distribution (a Map of the vocabulary). */
  probabilities: number;
}

/** Evaluates `text`'s tokens (at most `maxTokens`) three times per variant, interleaved; medians per token. */
export async function measurePositionCosts(modelPath: string, threads: number, text: string, maxTokens = 48): Promise<PositionCosts> {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, maxThreads: 0 });
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createContext({ contextSize: 1024, threads });
    const seq = context.getSequence();
    const tokens = model.tokenize(text).slice(0, maxTokens);
    const variants: Record<keyof PositionCosts, (t: Token) => ControlledEvaluateInputItem> = {
      none: (t) => t,
      token: (t) => [t, { generateNext: { token: true } }],
      confidence: (t) => [t, { generateNext: { token: true, confidence: true } }],
      probabilities: (t) => [t, { generateNext: { probabilities: true } }],
    };
    const times: Record<string, number[]> = {};
    for (let round = 0; round < 3; round++) {
      for (const [name, item] of Object.entries(variants)) {
        await seq.clearHistory();
        const t0 = performance.now();
        await seq.controlledEvaluate(tokens.map(item));
        (times[name] ??= []).push((performance.now() - t0) / tokens.length);
      }
    }
    await context.dispose();
    return {
      none: median(times.none!),
      token: median(times.token!),
      confidence: median(times.confidence!),
      probabilities: median(times.probabilities!),
    };
  } finally {
    await model.dispose();
  }
}

// The sampling explainer's math: applies a SamplingConfig to a model's next-token
// distribution stage by stage, in the order llama.cpp runs its chain through
// node-llama-cpp (see config.ts), and reports what each stage keeps, the probabilities
// after it, entropy and token counts. Pure and synchronous, so the renderer reruns it
// on every slider move; the sampling service runs it once to answer `sampling.explain`.
import type { SamplingConfig, SamplerStage } from "./config.ts";

/** One token of the input distribution. */
export interface DistributionToken {
  /** Token id. */
  id: number;
  /** Text of the token alone. */
  piece: string;
  /** The model's probability (softmax of its logits, no sampling). */
  prob: number;
}

/** The stages the explainer reports (the chain without dist(), which is the final softmax). */
export type ExplainStage = Exclude<SamplerStage, "dist">;

/** What one stage did. Arrays are aligned with `SamplingExplanation.tokens`. */
export interface StageExplanation {
  stage: ExplainStage;
  /** Whether the stage runs under this config (greedy drops top-k/top-p/min-p; "off" values skip a stage). */
  active: boolean;
  /** False when the math here is an approximation of llama.cpp (see `note`). */
  exact: boolean;
  /** Candidates left after the stage (tokens outside a truncated input list not counted). */
  kept: number;
  /** Ids this stage removed from the candidates (for XTC: those removed when it triggers). */
  removed: number[];
  /** Probability of each token after the stage (softmax of what is left; 0 = removed). */
  probs: number[];
  /** Shannon entropy after the stage, nats. */
  entropy: number;
  /** One line for people: what the stage did here. */
  note: string;
}

/** The explainer's answer for one config. */
export interface SamplingExplanation {
  /** The input tokens, most likely first (the order every probability array follows). */
  tokens: { id: number; piece: string }[];
  /** The model's probabilities, renormalised over the input list. */
  raw: number[];
  /** Entropy of `raw`, nats. */
  rawEntropy: number;
  /** Stages in chain order. */
  stages: StageExplanation[];
  /** What dist() draws from: the probability of each token being sampled. */
  final: number[];
  /** Entropy of `final`, nats (0 = deterministic). */
  finalEntropy: number;
  /** Tokens with a nonzero chance of being sampled. */
  finalKept: number;
  /** Temperature 0: argmax, top-k/top-p/min-p do not run. */
  greedy: boolean;
  /** Chance that XTC fires on this token (0 when it is off or cannot trigger). */
  xtcChance: number;
  /** Probability mass outside the input list (0 when the list is the whole vocabulary). */
  tailMass: number;
}

/** What the stages need besides the config. */
export interface ExplainOptions {
  /** Tokens generated so far in this response, oldest first: the repeat penalty looks at them. Default []. */
  recentTokens?: readonly number[];
  /** The newline token id (the repeat penalty skips it unless penalizeNewLine). Default null. */
  newlineToken?: number | null;
  /**
   * Token bias with text entries already tokenized: every entry's id and offset ("never" bans).
   * Default: the config's numeric entries only (text entries need a tokenizer).
   */
  tokenBias?: readonly { id: number; logit: number | "never" }[];
  /** End-of-generation tokens (EOS, EOT): node-llama-cpp ignores any bias on them. Default []. */
  eogTokens?: readonly number[];
}

interface Cand {
  /** Index into the input list. */
  i: number;
  logit: number;
}

/** Shannon entropy in nats of probabilities that sum to 1. */
export function entropy(probs: Iterable<number>): number {
  let h = 0;
  for (const p of probs) if (p > 0) h -= p * Math.log(p);
  return h;
}

/** Softmax of the candidates' logits, as a dense array over `n` input tokens (0 for the rest). */
function softmaxDense(cands: readonly Cand[], n: number): number[] {
  const out = new Array<number>(n).fill(0);
  let max = -Infinity;
  for (const c of cands) if (c.logit > max) max = c.logit;
  if (max === -Infinity) {
    // Every candidate banned: llama.cpp would pick among them uniformly-ish; show that.
    for (const c of cands) out[c.i] = 1 / cands.length;
    return out;
  }
  let z = 0;
  for (const c of cands) z += Math.exp(c.logit - max);
  for (const c of cands) out[c.i] = Math.exp(c.logit - max) / z;
  return out;
}

/** Candidates most likely first; ties by token id (what a stable sort over vocabulary order gives). */
function sorted(cands: readonly Cand[], ids: readonly number[]): Cand[] {
  return [...cands].sort((a, b) => b.logit - a.logit || ids[a.i]! - ids[b.i]!);
}

/** Weighted sum of branches' softmaxes. */
function mixture(branches: readonly { w: number; cands: Cand[] }[], n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (const b of branches) {
    if (b.w === 0) continue;
    const p = softmaxDense(b.cands, n);
    for (let k = 0; k < n; k++) out[k]! += b.w * p[k]!;
  }
  return out;
}

const fmt = (x: number) => (Math.abs(x) >= 100 || Number.isInteger(x) ? String(x) : x.toPrecision(3));

/** The repeat penalty's counts per token over the recent tokens, as the engine feeds them. */
export function penaltyCounts(config: SamplingConfig, recent: readonly number[], newlineToken: number | null): Map<number, number> {
  const rp = config.repeatPenalty;
  const counts = new Map<number, number>();
  if (rp.lastTokens <= 0) return counts;
  let window = recent.slice(-rp.lastTokens);
  if (!rp.penalizeNewLine && newlineToken != null) window = window.filter((t) => t !== newlineToken);
  for (const t of window) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/**
 * Applies `config` to the distribution `tokens` (any order; the whole vocabulary or its
 * top N) in llama.cpp's chain order and explains each stage. Logits are taken as the log
 * of the given probabilities, which softmax-based stages cannot tell apart from the real
 * ones; only the multiplicative repeat penalty depends on the raw logits (marked inexact).
 */
export function explainSampling(tokens: readonly DistributionToken[], config: SamplingConfig, options: ExplainOptions = {}): SamplingExplanation {
  const order = (a: DistributionToken, b: DistributionToken) => b.prob - a.prob || a.id - b.id;
  // The engine sends tokens most likely first: sorting again is skipped (it dominates on big vocabularies).
  let inOrder = true;
  for (let k = 1; k < tokens.length && inOrder; k++) inOrder = order(tokens[k - 1]!, tokens[k]!) <= 0;
  const list = inOrder ? tokens.slice() : [...tokens].sort(order);
  const n = list.length;
  const ids = list.map((t) => t.id);
  const listMass = list.reduce((s, t) => s + t.prob, 0);
  const tailMass = Math.max(0, 1 - listMass);
  const raw = list.map((t) => (listMass > 0 ? t.prob / listMass : 0));
  const greedy = config.temperature <= 0;
  const stages: StageExplanation[] = [];

  let cands: Cand[] = list.map((t, i) => ({ i, logit: Math.log(t.prob) }));
  // Whether `cands` is most likely first (ties by id); bias and penalties can break that.
  let isSorted = true;
  const sortCands = () => {
    if (!isSorted) cands = sorted(cands, ids);
    isSorted = true;
  };
  // After XTC the candidates split into "XTC fired" and "did not"; later stages map both.
  let branches: { w: number; cands: Cand[] }[] = [{ w: 1, cands }];

  // A candidate at -Infinity (banned) can never be drawn: it counts as removed.
  const live = (c: Cand) => c.logit > -Infinity;
  let last: { after: readonly Cand[]; kept: number; probs: number[]; entropy: number } | null = null;
  const report = (stage: ExplainStage, active: boolean, before: readonly Cand[], after: readonly Cand[], note: string, exact = true, probs?: number[]) => {
    // A stage that changed nothing shares the previous stage's numbers (cheap on big vocabularies).
    if (!probs && last && after === last.after) {
      stages.push({ stage, active, exact, kept: last.kept, removed: [], probs: last.probs, entropy: last.entropy, note });
      return;
    }
    const p = probs ?? softmaxDense(after, n);
    let kept = 0;
    for (const c of after) if (live(c)) kept++;
    let removed: number[] = [];
    if (after.length !== before.length || after.some((c) => !live(c))) {
      const left = new Set<number>();
      for (const c of after) if (live(c)) left.add(c.i);
      removed = before.filter((c) => live(c) && !left.has(c.i)).map((c) => ids[c.i]!);
    }
    const h = entropy(p);
    last = { after, kept, probs: p, entropy: h };
    stages.push({ stage, active, exact, kept, removed, probs: p, entropy: h, note });
  };

  // ---- token bias ("never" = -Infinity: the token stays a candidate with probability 0, as in llama.cpp)
  {
    const entries =
      options.tokenBias ??
      config.tokenBias.flatMap((e) => (typeof e.token === "number" ? [{ id: e.token, logit: e.logit }] : []));
    const before = cands;
    if (entries.length) {
      // node-llama-cpp keeps one bias per token (the last entry wins) and skips end-of-generation tokens.
      const eog = new Set(options.eogTokens ?? []);
      const offset = new Map<number, number>();
      for (const e of entries) if (!eog.has(e.id)) offset.set(e.id, e.logit === "never" ? -Infinity : e.logit);
      cands = cands.map((c) => {
        const o = offset.get(ids[c.i]!);
        return o === undefined ? c : { i: c.i, logit: c.logit + o };
      });
      isSorted = false;
      const banned = [...offset.values()].filter((v) => v === -Infinity).length;
      const ignored = new Set(entries.filter((e) => eog.has(e.id)).map((e) => e.id)).size;
      report(
        "tokenBias",
        offset.size > 0,
        before,
        cands,
        `${offset.size} biased token${offset.size === 1 ? "" : "s"}${banned ? `, ${banned} banned` : ""}${ignored ? `; bias on end-of-text ignored (${ignored})` : ""}.`,
      );
    } else {
      report("tokenBias", false, before, cands, "No token bias.");
    }
  }

  // ---- repetition penalties
  {
    const rp = config.repeatPenalty;
    const on = rp.lastTokens > 0 && (rp.penalty !== 1 || rp.frequencyPenalty !== 0 || rp.presencePenalty !== 0);
    const before = cands;
    if (!on) {
      report("repeatPenalty", false, before, cands, "Off (penalty 1, no frequency or presence penalty).");
    } else {
      const counts = penaltyCounts(config, options.recentTokens ?? [], options.newlineToken ?? null);
      let touched = 0;
      cands = cands.map((c) => {
        const count = counts.get(ids[c.i]!);
        if (!count) return c;
        touched++;
        let l = c.logit <= 0 ? c.logit * rp.penalty : c.logit / rp.penalty;
        l -= count * rp.frequencyPenalty + rp.presencePenalty;
        return { i: c.i, logit: l };
      });
      if (touched) isSorted = false;
      const exact = rp.penalty === 1;
      report(
        "repeatPenalty",
        true,
        before,
        cands,
        counts.size === 0
          ? "Nothing generated yet, so nothing to penalise."
          : `Penalised ${touched} of the ${counts.size} recent distinct tokens${exact ? "" : " (the ×penalty is applied to log-probabilities; llama.cpp applies it to raw logits)"}.`,
        exact,
      );
    }
  }

  // ---- DRY
  if (config.dry.multiplier > 0) {
    report("dry", true, cands, cands, "DRY depends on token-level repeats and sequence breakers; not modelled here.", false);
  } else {
    report("dry", false, cands, cands, "Off (multiplier 0).");
  }

  // ---- top-k, top-p, min-p (not in the greedy chain)
  if (greedy) {
    report("topK", false, cands, cands, "Skipped: temperature 0 is greedy.");
    report("topP", false, cands, cands, "Skipped: temperature 0 is greedy.");
    report("minP", false, cands, cands, "Skipped: temperature 0 is greedy.");
  } else {
    {
      const before = cands;
      if (config.topK > 0 && config.topK < cands.length) {
        sortCands();
        cands = cands.slice(0, config.topK);
      }
      report("topK", config.topK > 0, before, cands, config.topK > 0 ? `Keeps the ${config.topK} most likely: ${cands.length} left.` : "Off (0 = whole vocabulary).");
    }
    {
      const before = cands;
      const p = config.topP;
      if (p < 1) {
        sortCands();
        const s = cands;
        const probs = softmaxDense(s, n);
        let cum = 0;
        let last = s.length;
        for (let j = 0; j < s.length; j++) {
          cum += probs[s[j]!.i]!;
          if (cum >= p) {
            last = j + 1;
            break;
          }
        }
        cands = s.slice(0, last);
        report("topP", true, before, cands, `Keeps the fewest tokens reaching ${fmt(p * 100)}% of the mass: ${cands.length} left.`);
      } else report("topP", false, before, cands, "Off (1 = keep everything).");
    }
    {
      const before = cands;
      const p = config.minP;
      if (p > 0 && cands.length) {
        let max = -Infinity;
        for (const c of cands) max = Math.max(max, c.logit);
        const min = max + Math.log(p);
        cands = cands.filter((c) => c.logit >= min);
        report("minP", true, before, cands, `Drops tokens under ${fmt(p)} × the top token's probability: ${cands.length} left.`);
      } else report("minP", false, before, cands, "Off (0).");
    }
  }

  // ---- XTC
  let xtcChance = 0;
  {
    const { probability, threshold } = config.xtc;
    const before = cands;
    if (probability <= 0 || threshold > 0.5 || cands.length < 2) {
      report("xtc", false, before, cands, probability <= 0 ? "Off (probability 0)." : "Cannot trigger (threshold above 0.5 or one token left).");
    } else {
      sortCands();
      const s = cands;
      const probs = softmaxDense(s, n);
      let posLast = 0;
      for (let j = 0; j < s.length; j++) {
        if (probs[s[j]!.i]! >= threshold) posLast = j;
        else break;
      }
      if (posLast > 0) {
        xtcChance = probability;
        const fired = s.slice(posLast);
        branches = [
          { w: 1 - probability, cands },
          { w: probability, cands: fired },
        ];
        const mixed = mixture(branches, n);
        report("xtc", true, before, fired, `${fmt(probability * 100)}% of the time removes the ${posLast} top choice${posLast === 1 ? "" : "s"} above ${fmt(threshold)} (keeping the least likely of them).`, true, mixed);
      } else {
        report("xtc", true, before, cands, `Fewer than two tokens reach ${fmt(threshold)}: nothing to exclude.`);
      }
    }
  }
  if (branches.length === 1) branches = [{ w: 1, cands }];

  // ---- temperature (greedy: argmax)
  if (greedy) {
    branches = branches.map((b) => {
      let best: Cand | undefined;
      for (const c of b.cands) if (!best || c.logit > best.logit || (c.logit === best.logit && ids[c.i]! < ids[best.i]!)) best = c;
      return { w: b.w, cands: best ? [{ i: best.i, logit: 0 }] : [] };
    });
    const mixed = mixture(branches, n);
    const left = branches.flatMap((b) => b.cands);
    report("temperature", true, cands, dedupe(left), "Temperature 0: the most likely token is always chosen.", true, mixed);
  } else {
    const t = config.temperature;
    branches = branches.map((b) => ({ w: b.w, cands: b.cands.map((c) => ({ i: c.i, logit: c.logit / t })) }));
    const mixed = mixture(branches, n);
    const note = t === 1 ? "1: probabilities unchanged." : t < 1 ? `${fmt(t)} sharpens: likely tokens gain.` : `${fmt(t)} flattens: unlikely tokens gain.`;
    report("temperature", t !== 1, cands, dedupe(branches.flatMap((b) => b.cands)), note, true, mixed);
  }

  const final = stages.at(-1)!.probs;
  return {
    tokens: list.map((t) => ({ id: t.id, piece: t.piece })),
    raw,
    rawEntropy: entropy(raw),
    stages,
    final,
    finalEntropy: entropy(final),
    finalKept: final.filter((p) => p > 0).length,
    greedy,
    xtcChance,
    tailMass,
  };
}

function dedupe(cands: readonly Cand[]): Cand[] {
  const seen = new Set<number>();
  return cands.filter((c) => (seen.has(c.i) ? false : (seen.add(c.i), true)));
}

/** Distinct n-grams / all n-grams of a token or character sequence (1 = no repeats; 0 for fewer than n items). */
export function distinctNgramRatio(items: ArrayLike<unknown> | string, n = 2): number {
  const seq = typeof items === "string" ? [...items] : Array.from(items);
  if (seq.length < n) return 0;
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i + n <= seq.length; i++) {
    seen.add(JSON.stringify(seq.slice(i, i + n)));
    total++;
  }
  return seen.size / total;
}

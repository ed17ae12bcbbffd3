// Seeded, deterministic bootstrap resampling over per-item sufficient statistics: confidence
// intervals for one run and paired comparisons of two runs on the same items (both runs get
// the same resampled indices). Corpus metrics re-aggregate their statistics per resample
// (BLEU sums n-gram counts, it does not average sentence scores). Called by registry.ts and
// the run comparison view.
import { z } from "zod";

export const bootstrapOptionsSchema = z
  .object({
    /** Number of bootstrap resamples. Default 1000 (sacrebleu's default). */
    samples: z.number().int().min(1).max(1_000_000).default(1000),
    /** PRNG seed; the same seed, data and options always give the same result. Default 12345 (sacrebleu's). */
    seed: z.number().int().default(12345),
    /** Two-sided confidence level of the interval, in (0, 1). Default 0.95. */
    confidence: z.number().gt(0).lt(1).default(0.95),
  })
  .strict();

/** Options of the bootstrap functions; every field is optional. */
export type BootstrapOptions = z.input<typeof bootstrapOptionsSchema>;

/** Scores summed statistics of `count` resampled items (e.g. BLEU from summed n-gram counts, or a mean). */
export type StatsScorer = (sums: Float64Array, count: number) => number;

/** A 32-bit PRNG (xoshiro128**) seeded through splitmix32; returns uint32 values. */
export function createRng(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Unbiased integer in [0, n) by rejection sampling. */
export function randomIndex(next: () => number, n: number): number {
  const limit = 0x100000000 - (0x100000000 % n);
  for (;;) {
    const x = next();
    if (x < limit) return x % n;
  }
}

/** numpy.percentile with its default linear interpolation; `q` in [0, 100]; `sorted` ascending. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = ((n - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return frac === 0 ? a : a + (b - a) * frac;
}

/** Flattens rows of equal width into one array (row-major) for fast resampling. */
function flatten(rows: readonly (readonly number[])[]): { data: Float64Array; width: number } {
  const width = rows.length > 0 ? rows[0]!.length : 0;
  const data = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    if (row.length !== width)
      throw new Error(`bootstrap: item ${i} has ${row.length} statistics, expected ${width}`);
    data.set(row, i * width);
  });
  return { data, width };
}

function sumAll(data: Float64Array, width: number, n: number): Float64Array {
  const sums = new Float64Array(width);
  for (let i = 0; i < n; i++) for (let k = 0; k < width; k++) sums[k]! += data[i * width + k]!;
  return sums;
}

function resampleSums(data: Float64Array, width: number, idx: Uint32Array, out: Float64Array): Float64Array {
  out.fill(0);
  for (let j = 0; j < idx.length; j++) {
    const base = idx[j]! * width;
    for (let k = 0; k < width; k++) out[k]! += data[base + k]!;
  }
  return out;
}

/** A bootstrap interval for one run. */
export interface BootstrapInterval {
  /** The metric on all items. */
  score: number;
  /** Mean of the resampled scores. */
  mean: number;
  /** Lower percentile bound of the resampled scores. */
  low: number;
  /** Upper percentile bound of the resampled scores. */
  high: number;
  /** Confidence level used. */
  confidence: number;
  /** Number of resamples. */
  samples: number;
  /** Seed used. */
  seed: number;
}

/** Percentile bootstrap interval of a metric over one run's per-item statistics. */
export function bootstrapInterval(
  stats: readonly (readonly number[])[],
  scorer: StatsScorer,
  options?: BootstrapOptions,
): BootstrapInterval {
  const o = bootstrapOptionsSchema.parse(options ?? {});
  const n = stats.length;
  if (n === 0) throw new Error("bootstrap: no items");
  const { data, width } = flatten(stats);
  const score = scorer(sumAll(data, width, n), n);
  const next = createRng(o.seed);
  const idx = new Uint32Array(n);
  const buf = new Float64Array(width);
  const scores = new Float64Array(o.samples);
  for (let s = 0; s < o.samples; s++) {
    for (let j = 0; j < n; j++) idx[j] = randomIndex(next, n);
    scores[s] = scorer(resampleSums(data, width, idx, buf), n);
  }
  let mean = 0;
  for (const v of scores) mean += v;
  mean /= o.samples;
  scores.sort();
  const tail = ((1 - o.confidence) / 2) * 100;
  return {
    score,
    mean,
    low: percentileSorted(scores, tail),
    high: percentileSorted(scores, 100 - tail),
    confidence: o.confidence,
    samples: o.samples,
    seed: o.seed,
  };
}

/** A paired comparison of run B against run A on the same items. */
export interface PairedBootstrapResult {
  /** Metric of run A on all items. */
  scoreA: number;
  /** Metric of run B on all items. */
  scoreB: number;
  /** scoreB - scoreA on all items. */
  delta: number;
  /** Mean of the resampled differences (B - A). */
  meanDelta: number;
  /** Lower percentile bound of the resampled differences. */
  ciLow: number;
  /** Upper percentile bound of the resampled differences. */
  ciHigh: number;
  /**
   * Two-sided paired-bootstrap p-value: the resampled differences are shifted to mean 0 (the
   * null hypothesis) and p = (1 + #{|d - mean| >= |delta|}) / (samples + 1). Small means a
   * difference this large is unlikely by chance; identical runs give 1.
   */
  pValue: number;
  /** Share of resamples where B scores better than A (respecting `higherIsBetter`). */
  fractionBBetter: number;
  /** Share of resamples where A scores better than B. */
  fractionABetter: number;
  /** Confidence level of [ciLow, ciHigh]. */
  confidence: number;
  /** Number of resamples. */
  samples: number;
  /** Seed used. */
  seed: number;
  /** Number of paired items. */
  items: number;
}

/**
 * Paired bootstrap: resamples item indices with replacement (the same indices for both runs),
 * re-scores each run from the summed statistics of the resample, and summarizes B - A.
 * `statsA[i]` and `statsB[i]` must describe the same item i.
 */
export function pairedBootstrap(
  statsA: readonly (readonly number[])[],
  statsB: readonly (readonly number[])[],
  scorer: StatsScorer,
  options?: BootstrapOptions & { higherIsBetter?: boolean },
): PairedBootstrapResult {
  const { higherIsBetter = true, ...rest } = options ?? {};
  const o = bootstrapOptionsSchema.parse(rest);
  const n = statsA.length;
  if (n === 0) throw new Error("bootstrap: no items");
  if (statsB.length !== n) throw new Error(`bootstrap: run A has ${n} items but run B has ${statsB.length}`);
  const A = flatten(statsA);
  const B = flatten(statsB);
  const scoreA = scorer(sumAll(A.data, A.width, n), n);
  const scoreB = scorer(sumAll(B.data, B.width, n), n);
  const delta = scoreB - scoreA;
  const next = createRng(o.seed);
  const idx = new Uint32Array(n);
  const bufA = new Float64Array(A.width);
  const bufB = new Float64Array(B.width);
  const diffs = new Float64Array(o.samples);
  let bBetter = 0;
  let aBetter = 0;
  for (let s = 0; s < o.samples; s++) {
    for (let j = 0; j < n; j++) idx[j] = randomIndex(next, n);
    const a = scorer(resampleSums(A.data, A.width, idx, bufA), n);
    const b = scorer(resampleSums(B.data, B.width, idx, bufB), n);
    diffs[s] = b - a;
    if (b !== a) {
      if (b > a === higherIsBetter) bBetter++;
      else aBetter++;
    }
  }
  let meanDelta = 0;
  for (let s = 0; s < o.samples; s++) meanDelta += diffs[s]!;
  meanDelta /= o.samples;
  // Shift the bootstrap distribution to the null (Koehn 2004; Berg-Kirkpatrick et al. 2012).
  // ">=" rather than sacrebleu's ">" so that two identical runs get p = 1, not 1/(samples+1).
  const observed = Math.abs(delta);
  let exceed = 0;
  for (let s = 0; s < o.samples; s++) if (Math.abs(diffs[s]! - meanDelta) >= observed) exceed++;
  diffs.sort();
  const tail = ((1 - o.confidence) / 2) * 100;
  return {
    scoreA,
    scoreB,
    delta,
    meanDelta,
    ciLow: percentileSorted(diffs, tail),
    ciHigh: percentileSorted(diffs, 100 - tail),
    pValue: (exceed + 1) / (o.samples + 1),
    fractionBBetter: bBetter / o.samples,
    fractionABetter: aBetter / o.samples,
    confidence: o.confidence,
    samples: o.samples,
    seed: o.seed,
    items: n,
  };
}

/** Scorer for per-item scores stored as one-element statistics rows: their mean. */
export const meanScorer: StatsScorer = (sums, count) => sums[0]! / count;

/** Paired bootstrap of per-item scores (accuracy, ROUGE F, exact match...): compares their means. */
export function pairedBootstrapMeans(
  scoresA: readonly number[],
  scoresB: readonly number[],
  options?: BootstrapOptions & { higherIsBetter?: boolean },
): PairedBootstrapResult {
  return pairedBootstrap(
    scoresA.map((x) => [x]),
    scoresB.map((x) => [x]),
    meanScorer,
    options,
  );
}

// Human rankings: tiers of responses (best first; a tier holds responses that tie),
// their pairwise preferences (n(n-1)/2 minus tied pairs), and the moves the
// drag-and-drop ranking makes. Pure; the feedback service and the renderer share it.

/** One pairwise preference between response indices a < b. */
export interface RankedPair {
  a: number;
  b: number;
  winner: "a" | "b";
}

/** Why tiers do not rank responses 0..n-1 exactly once; null when they do. */
export function tiersProblem(tiers: readonly (readonly number[])[], n: number): string | null {
  const seen = new Set<number>();
  for (const [t, tier] of tiers.entries()) {
    if (tier.length === 0) return `tier ${t + 1} is empty`;
    for (const i of tier) {
      if (!Number.isInteger(i) || i < 0 || i >= n) return `response ${i} does not exist (there are ${n})`;
      if (seen.has(i)) return `response ${i} is ranked twice`;
      seen.add(i);
    }
  }
  if (seen.size !== n) {
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
    return `response${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not ranked`;
  }
  return null;
}

/** The rank (tier number, 0 = best) of each response. */
export function ranksOf(tiers: readonly (readonly number[])[], n: number): number[] {
  const ranks = new Array<number>(n).fill(-1);
  tiers.forEach((tier, t) => tier.forEach((i) => (ranks[i] = t)));
  return ranks;
}

/** Tiers from ranks (equal ranks tie); ranks need not be consecutive. */
export function tiersOf(ranks: readonly number[]): number[][] {
  const levels = [...new Set(ranks)].sort((x, y) => x - y);
  return levels.map((level) => ranks.flatMap((r, i) => (r === level ? [i] : [])));
}

/** Every pair of responses in different tiers, better one as winner; tied pairs give none. */
export function rankingPairs(tiers: readonly (readonly number[])[]): RankedPair[] {
  const n = tiers.reduce((s, t) => s + t.length, 0);
  const ranks = ranksOf(tiers, n);
  const pairs: RankedPair[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      if (ranks[a] === ranks[b]) continue;
      pairs.push({ a, b, winner: ranks[a]! < ranks[b]! ? "a" : "b" });
    }
  }
  return pairs;
}

/** How many pairs a ranking yields: n(n-1)/2 minus the pairs inside each tier. */
export function rankingPairCount(tiers: readonly (readonly number[])[]): number {
  const n = tiers.reduce((s, t) => s + t.length, 0);
  return (n * (n - 1)) / 2 - tiers.reduce((s, t) => s + (t.length * (t.length - 1)) / 2, 0);
}

/** Where a dragged response goes: into an existing tier (a tie), or as a new tier before tier `tier` (tiers.length = last). */
export type RankingDrop = { kind: "join"; tier: number } | { kind: "newTier"; tier: number };

/** The tiers after moving `response` to `drop`; tiers left empty disappear. */
export function moveInRanking(tiers: readonly (readonly number[])[], response: number, drop: RankingDrop): number[][] {
  const marked: (number[] | null)[] = tiers.map((t) => t.filter((i) => i !== response));
  if (drop.kind === "join") {
    const target = marked[drop.tier];
    if (!target) return tiers.map((t) => [...t]);
    target.push(response);
    target.sort((x, y) => x - y);
  } else {
    marked.splice(Math.max(0, Math.min(drop.tier, marked.length)), 0, [response]);
  }
  return marked.filter((t): t is number[] => !!t && t.length > 0);
}

/** The starting ranking: every response in its own tier, in index order. */
export function initialTiers(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => [i]);
}

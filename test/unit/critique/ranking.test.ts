// Human rankings: tiers with ties to pairwise preferences (4 responses with one tie give
// 5 pairs), validation naming the fault, and the drag-and-drop moves.
import { initialTiers, moveInRanking, rankingPairCount, rankingPairs, ranksOf, tiersOf, tiersProblem } from "../../../core/critique/ranking.ts";

describe("rankings", () => {
  it("a ranking of 4 responses with one tie yields 5 pairs, each with the better one as winner", () => {
    // Best: 2; then 0 and 3 tie; worst: 1.
    const tiers = [[2], [0, 3], [1]];
    const pairs = rankingPairs(tiers);
    expect(pairs).toEqual([
      { a: 0, b: 1, winner: "a" },
      { a: 0, b: 2, winner: "b" },
      { a: 1, b: 2, winner: "b" },
      { a: 1, b: 3, winner: "b" },
      { a: 2, b: 3, winner: "a" },
    ]);
    expect(pairs).toHaveLength(4 * 3 / 2 - 1);
    expect(rankingPairCount(tiers)).toBe(5);
  });

  it("counts n(n-1)/2 minus tied pairs", () => {
    expect(rankingPairCount([[0], [1], [2], [3]])).toBe(6);
    expect(rankingPairCount([[0, 1, 2, 3]])).toBe(0);
    expect(rankingPairCount([[0, 1], [2, 3]])).toBe(4);
    expect(rankingPairCount([[0, 1, 2], [3, 4]])).toBe(10 - 3 - 1);
    expect(rankingPairs([[0, 1], [2, 3]])).toHaveLength(4);
  });

  it("converts between tiers and ranks", () => {
    expect(ranksOf([[2], [0, 3], [1]], 4)).toEqual([1, 2, 0, 1]);
    expect(tiersOf([1, 2, 0, 1])).toEqual([[2], [0, 3], [1]]);
    expect(tiersOf([5, 5, 9])).toEqual([[0, 1], [2]]);
  });

  it("names what is wrong with a ranking", () => {
    expect(tiersProblem([[0, 1], [2]], 3)).toBeNull();
    expect(tiersProblem([[0], [1]], 3)).toBe("response 2 is not ranked");
    expect(tiersProblem([[0]], 3)).toBe("responses 1, 2 are not ranked");
    expect(tiersProblem([[0, 1], [1, 2]], 3)).toBe("response 1 is ranked twice");
    expect(tiersProblem([[0, 1, 2, 3]], 3)).toBe("response 3 does not exist (there are 3)");
    expect(tiersProblem([[0, 1, 2], []], 3)).toBe("tier 2 is empty");
  });

  it("moves a dragged response into a tier (a tie) or to a new tier, dropping emptied tiers", () => {
    const start = initialTiers(4);
    expect(start).toEqual([[0], [1], [2], [3]]);
    const tie = moveInRanking(start, 3, { kind: "join", tier: 0 });
    expect(tie).toEqual([[0, 3], [1], [2]]);
    const top = moveInRanking(tie, 2, { kind: "newTier", tier: 0 });
    expect(top).toEqual([[2], [0, 3], [1]]);
    const last = moveInRanking(top, 2, { kind: "newTier", tier: 3 });
    expect(last).toEqual([[0, 3], [1], [2]]);
    const untie = moveInRanking(tie, 0, { kind: "newTier", tier: 1 });
    expect(untie).toEqual([[3], [0], [1], [2]]);
    expect(moveInRanking(tie, 1, { kind: "join", tier: 9 })).toEqual(tie);
    expect(tiersProblem(top, 4)).toBeNull();
  });
});

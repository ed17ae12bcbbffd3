// Which principles each critique round uses (all at once, round-robin, or drawn with a
// seeded PRNG), and the per-generation seeds of a run. Pure and deterministic: the same
// constitution, choice and seed always give the same rounds, so a run can be repeated.
import type { Principle, PrincipleChoice } from "./types.ts";

/** mulberry32: a small, fast 32-bit PRNG; returns a function giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The principles of each round, rounds 1..`rounds`: all of them every round, the next
 * one in order each round, or one drawn per round from a PRNG seeded with `seed`.
 */
export function planRounds(principles: readonly Principle[], choice: PrincipleChoice, rounds: number, seed: number): Principle[][] {
  if (principles.length === 0) throw new Error("A constitution needs at least one principle.");
  const out: Principle[][] = [];
  const random = mulberry32(seed ^ 0x5bd1e995);
  for (let r = 0; r < rounds; r++) {
    if (choice === "all") out.push([...principles]);
    else if (choice === "roundRobin") out.push([principles[r % principles.length]!]);
    else out.push([principles[Math.floor(random() * principles.length)]!]);
  }
  return out;
}

/**
 * The sampling seed of the g-th generation of a run (0 = initial answer, then critique
 * and revision of each round): distinct per generation, fixed by the run seed.
 */
export function generationSeed(runSeed: number, generation: number): number {
  let h = (runSeed ^ Math.imul(generation + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// The allocation-free paths the metrics take for throughput agree with the plain ones: token
// interning by ranges (plain, ASCII-folded, code buffers), ROUGE scoring straight from ids
// (ASCII folding vs Python lower() on other text), the score-only BLEU formula, and n-gram
// lookups that add nothing to the trie.
import { bleuFromStats, bleuScoreFromStats, resolveBleuOptions } from "../../../core/eval/bleu.ts";
import { createRng, randomIndex } from "../../../core/eval/bootstrap.ts";
import { NgramTrie, TokenInterner } from "../../../core/eval/ngrams.ts";
import { rougeScoreMulti, rougeTokenize, type RougeScore } from "../../../core/eval/rouge.ts";

/** rouge-score's n-gram overlap computed from rougeTokenize's tokens with joined-string keys. */
function naiveRougeN(ref: string, pred: string, n: number): RougeScore {
  const grams = (toks: string[]) => {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= toks.length; i++) {
      const k = toks.slice(i, i + n).join(" ");
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const r = grams(rougeTokenize(ref));
  const p = grams(rougeTokenize(pred));
  let overlap = 0;
  for (const [k, c] of r) overlap += Math.min(c, p.get(k) ?? 0);
  const rt = [...r.values()].reduce((a, b) => a + b, 0);
  const pt = [...p.values()].reduce((a, b) => a + b, 0);
  const precision = overlap / Math.max(pt, 1);
  const recall = overlap / Math.max(rt, 1);
  return { precision, recall, fmeasure: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

describe("token interning by ranges", () => {
  it("gives a range, its ASCII-folded form and its code units the id of the equal string", () => {
    const t = new TokenInterner();
    const text = "xx Cat cat CAT dog";
    const cat = t.range(text, 7, 10);
    expect(t.names[cat]).toBe("cat");
    expect(t.rangeFolded(text, 3, 6)).toBe(cat);
    expect(t.rangeFolded(text, 11, 14)).toBe(cat);
    expect(t.id("cat")).toBe(cat);
    const codes = Uint16Array.from("a cat", (ch) => ch.charCodeAt(0));
    expect(t.rangeCodes(codes, 2, 5)).toBe(cat);
    const dog = t.rangeCodes(Uint16Array.from("dog", (ch) => ch.charCodeAt(0)), 0, 3);
    expect(dog).not.toBe(cat);
    expect(t.range(text, 15, 18)).toBe(dog);
    expect(t.size).toBe(2);
  });

  it("keeps distinct ids for many tokens across table growth", () => {
    const t = new TokenInterner();
    const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}`);
    const ids = words.map((w) => t.id(w));
    expect(new Set(ids).size).toBe(words.length);
    expect(words.map((w) => t.range(` ${w} `, 1, w.length + 1))).toEqual(ids);
    expect(words.map((_, i) => t.names[ids[i]!])).toEqual(words);
  });
});

describe("ROUGE from token ids", () => {
  it("folds ASCII case per token and applies Python lower() to other text", () => {
    expect(rougeScoreMulti(["The CAT sat"], "the cat SAT").rouge1!.fmeasure).toBe(1);
    // Kelvin sign and dotted capital I lower to ASCII letters only with Python lower().
    expect(rougeScoreMulti(["\u212aelvin İstanbul"], "kelvin i̇stanbul").rouge1!.fmeasure).toBe(1);
    expect(rougeScoreMulti(["Kelvin"], "\u212aELVIN").rouge1!.fmeasure).toBe(1);
  });

  it("matches joined-string n-gram counting on random mixed-case text", () => {
    const vocab = ["The", "the", "CAT", "cat", "sat", "Sat", "on", "MAT", "mat", "a", "x1", "X1", "café", ".", ",", "\n"];
    const next = createRng(5);
    const text = () => Array.from({ length: 1 + randomIndex(next, 20) }, () => vocab[randomIndex(next, vocab.length)]!).join(" ");
    for (let k = 0; k < 300; k++) {
      const ref = text();
      const pred = text();
      const got = rougeScoreMulti([ref], pred, { types: ["rouge1", "rouge2", "rouge3"] });
      expect(got.rouge1).toEqual(naiveRougeN(ref, pred, 1));
      expect(got.rouge2).toEqual(naiveRougeN(ref, pred, 2));
      expect(got.rouge3).toEqual(naiveRougeN(ref, pred, 3));
    }
  });
});

describe("score-only BLEU", () => {
  it("equals bleuFromStats(...).score bit for bit for every smoothing and order setting", () => {
    const next = createRng(17);
    for (const smoothMethod of ["none", "floor", "add-k", "exp"] as const) {
      for (const effectiveOrder of [false, true]) {
        const opts = resolveBleuOptions({ smoothMethod, effectiveOrder }, false);
        for (let k = 0; k < 200; k++) {
          const hypLen = randomIndex(next, 8);
          const totals = [0, 1, 2, 3].map((n) => Math.max(0, hypLen - n));
          const correct = totals.map((t) => (t === 0 ? 0 : randomIndex(next, t + 1)));
          const stats = [hypLen, randomIndex(next, 10), ...correct, ...totals];
          expect(bleuScoreFromStats(stats, opts)).toBe(bleuFromStats(stats, opts).score);
        }
      }
    }
  });
});

describe("n-gram lookups", () => {
  it("finds only n-grams already added and stops extending at the first unknown one", () => {
    const trie = new NgramTrie(8);
    const hyp = Int32Array.from([1, 2, 3]);
    const occ = new Int32Array(9);
    const added = trie.occurrencesInto(hyp, 0, 3, 3, occ, 0);
    expect(added).toBe(6);
    const size = trie.size;
    const ref = Int32Array.from([2, 3, 4, 1, 2]);
    const out = new Int32Array(15);
    const found = trie.knownOccurrencesInto(ref, 0, ref.length, 3, out, 0);
    // [2] [2 3] (then [2 3 4] unknown) | [3] | (4 unknown) | [1] [1 2] | [2]
    expect(Array.from(out.subarray(0, found))).toEqual([occ[3], occ[4], occ[5], occ[0], occ[1], occ[3]]);
    expect(trie.size).toBe(size);
    expect(trie.find(0, 4)).toBe(-1);
  });
});

// Fixture builders (core/fixtures): byte-for-byte determinism, the successor rules and margins,
// the demo bigram tables and LoRA factorization, and the bench model sizes (laid out, not built).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FIXTURE_CATALOG } from "../../../core/fixtures/catalog.ts";
import {
  altNext,
  checkSuccessorMargins,
  continueRule,
  mixedNext,
  plus2Next,
  successorNext,
} from "../../../core/fixtures/successor.ts";
import {
  bigramCounts,
  bigramProbTable,
  corpusTokenStream,
  demoLoraFactors,
  demoNextProbs,
} from "../../../core/fixtures/demo.ts";
import { KITCHEN_CORPUS, WORKSHOP_CORPUS } from "../../../core/fixtures/corpus.ts";
import { lowRankApprox, symmetricEigen } from "../../../core/fixtures/lowRank.ts";
import { BENCH_SHAPE, benchModelSpec, llamaParamCount } from "../../../core/fixtures/bench.ts";
import { mulberry32 } from "../../../core/fixtures/prng.ts";
import { BYTE_VOCAB_SIZE, IM_END, IM_START, gpt2ByteToUnicode } from "../../../core/fixtures/tokenizer.ts";
import { GgmlType } from "../../../core/gguf/types.ts";
import { ggufChunks, layoutGguf } from "../../../core/gguf/writer.ts";

const c = (s: string): number => s.charCodeAt(0);
const V = BYTE_VOCAB_SIZE;

function hashEntry(build: () => { chunks: () => Iterable<Uint8Array> }): string {
  const h = createHash("sha256");
  for (const chunk of build().chunks()) h.update(chunk);
  return h.digest("hex");
}

describe("fixture determinism", () => {
  it("builds every test fixture to the same bytes twice", () => {
    const entries = FIXTURE_CATALOG.filter((e) => e.group === "test");
    expect(entries).toHaveLength(14);
    const first = entries.map((e) => hashEntry(e.build));
    const second = entries.map((e) => hashEntry(e.build));
    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(entries.length);
  });
});

describe("byte tokenizer", () => {
  it("spells every byte with a distinct GPT-2 character", () => {
    const table = gpt2ByteToUnicode();
    expect(new Set(table).size).toBe(256);
    expect(table[c("A")]).toBe("A");
    expect(table[c(" ")]).toBe("Ġ");
    expect(table[10]).toBe("Ċ");
  });
});

describe("successor rules", () => {
  it("shifts printable ASCII around the ring and sends the rest to readable characters", () => {
    expect(successorNext(c("a"))).toBe(c("b"));
    expect(successorNext(c("~"))).toBe(c(" "));
    expect(successorNext(10)).toBe(c("a"));
    expect(successorNext(0x80)).toBe(c(" "));
    expect(successorNext(IM_START)).toBe(c(" "));
    expect(plus2Next(c("}"))).toBe(c(" "));
    expect(altNext(c(" "))).toBe(c("~"));
    expect(String.fromCharCode(...continueRule(successorNext, 10, 5))).toBe("abcde");
  });

  it("mixes at scale 0.5: base rule after even ids, adapter rule after odd ids", () => {
    const mix = mixedNext(plus2Next);
    expect(mix(c("b"))).toBe(c("c"));
    expect(mix(c("a"))).toBe(c("c"));
    expect(String.fromCharCode(...continueRule(mix, c("x"), 6))).toBe("y{} !#");
    expect(String.fromCharCode(...continueRule(mixedNext(altNext), c("b"), 4))).toBe("cbcb");
  });

  it("keeps a margin of at least 3 logits for every token at scales 0, 0.5 and 1", () => {
    expect(() => checkSuccessorMargins(plus2Next)).not.toThrow();
    expect(() => checkSuccessorMargins(altNext)).not.toThrow();
  });
});

describe("demo bigram model", () => {
  it("counts corpus bigrams exactly, framing each paragraph as \\n ... <|im_end|>", () => {
    const stream = corpusTokenStream(WORKSHOP_CORPUS);
    expect(stream[0]).toBe(10);
    expect(stream.at(-1)).toBe(IM_END);
    const counts = bigramCounts(WORKSHOP_CORPUS);
    const text = WORKSHOP_CORPUS.join("\n");
    expect(counts[c("t") * V + c("h")]).toBe(text.split("th").length - 1);
    expect(counts[c(".") * V + IM_END]).toBe(WORKSHOP_CORPUS.filter((p) => p.endsWith(".")).length);
    expect(counts[IM_END * V + 10]).toBe(WORKSHOP_CORPUS.length);
  });

  it("gives every token a nonzero probability and normalizes every row", () => {
    const p = bigramProbTable(WORKSHOP_CORPUS);
    let worstSum = 0;
    for (let cur = 0; cur < V; cur++) {
      let sum = 0;
      for (let n = 0; n < V; n++) sum += p[cur * V + n]!;
      worstSum = Math.max(worstSum, Math.abs(sum - 1));
    }
    expect(Math.min(...p)).toBeGreaterThan(0);
    expect(worstSum).toBeLessThan(1e-12);
  });

  it("the LoRA moves next-token distributions toward the kitchen corpus", () => {
    const kitchen = bigramProbTable(KITCHEN_CORPUS);
    const counts = bigramCounts(KITCHEN_CORPUS);
    // Cross-entropy of the kitchen text under the model, base vs. with the LoRA at scale 1.
    const xent = (scale: number): number => {
      let total = 0;
      for (let cur = 0; cur < V; cur++) {
        const row = demoNextProbs(cur, scale);
        for (let n = 0; n < V; n++) total -= counts[cur * V + n]! * Math.log(row[n]!);
      }
      return total;
    };
    const base = xent(0);
    const adapted = xent(1);
    const ideal = -Array.from(counts).reduce((s, k, i) => s + k * Math.log(kitchen[i]!), 0);
    expect(adapted).toBeLessThan(base);
    // Rank 16 closes most of the gap between the base model and the exact kitchen table.
    expect((base - adapted) / (base - ideal)).toBeGreaterThan(0.5);
    expect(demoLoraFactors().singularValues).toHaveLength(16);
  });
});

describe("low-rank approximation", () => {
  const rows = 30;
  const cols = 20;
  const rand = mulberry32(5);
  const m = Float64Array.from({ length: rows * cols }, () => rand() - 0.5);

  it("reaches the Eckart-Young optimum: residual = sum of the dropped squared singular values", () => {
    const gram = new Float64Array(cols * cols);
    for (let i = 0; i < cols; i++)
      for (let j = 0; j < cols; j++)
        for (let r = 0; r < rows; r++) gram[i * cols + j]! += m[r * cols + i]! * m[r * cols + j]!;
    const { values } = symmetricEigen(gram, cols);
    const rank = 5;
    const { left, right, singularValues } = lowRankApprox(m, rows, cols, rank, { iterations: 200 });
    let residual = 0;
    for (let r = 0; r < rows; r++) {
      for (let col = 0; col < cols; col++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += left[r * rank + k]! * right[k * cols + col]!;
        residual += (m[r * cols + col]! - s) ** 2;
      }
    }
    const dropped = values.slice(rank).reduce((a, b) => a + b, 0);
    expect(residual).toBeCloseTo(dropped, 8);
    singularValues.forEach((s, i) => expect(s).toBeCloseTo(Math.sqrt(values[i]!), 8));
  });

  it("reconstructs a matrix exactly at full rank", () => {
    const { left, right } = lowRankApprox(m, rows, cols, cols, { oversample: 0 });
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += left[r * cols + k]! * right[k * cols + 3]!;
      expect(s).toBeCloseTo(m[r * cols + 3]!, 10);
    }
  });
});

describe("bench models", () => {
  it("have about 160M parameters and the sizes F16 and Q8_0 imply (laid out without generating data)", () => {
    const params = llamaParamCount(BENCH_SHAPE);
    expect(params).toBeGreaterThan(155e6);
    expect(params).toBeLessThan(170e6);
    const f16 = layoutGguf(benchModelSpec(GgmlType.F16)).totalSize;
    const q8 = layoutGguf(benchModelSpec(GgmlType.Q8_0)).totalSize;
    expect(f16 / params).toBeGreaterThan(1.99);
    expect(f16 / params).toBeLessThan(2.02);
    expect(q8 / params).toBeGreaterThan(34 / 32 - 0.01);
    expect(q8 / params).toBeLessThan(34 / 32 + 0.02);
  });

  it("stream in bounded chunks", () => {
    const { chunks } = ggufChunks(benchModelSpec(GgmlType.Q8_0));
    const it = chunks()[Symbol.iterator]();
    const sizes: number[] = [];
    for (let i = 0; i < 2; i++) sizes.push(it.next().value!.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

// Paths of the generated GGUF fixture models and `ensureFixtures`, which writes any that are
// missing or stale (fast when all are present). A contract other test helpers code against:
// keep the names. Also a file reader for the core GGUF header validator.
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_FIXTURES_DIR, writeFixtures } from "../../scripts/fixtures.ts";
import type { GgufReadAt } from "../../core/gguf/header.ts";

/** Absolute path of <repo>/.fixtures. */
export const FIXTURES_DIR: string = DEFAULT_FIXTURES_DIR;

const at = (file: string): string => join(FIXTURES_DIR, file);

/** Absolute paths of every test fixture (see core/fixtures for what each one is). */
export const fixture = {
  /** Tiny llama model: greedy next byte = byte + 1 on printable ASCII ('~' -> ' ', '\n' -> 'a'). */
  successor: at("successor.gguf"),
  /** LoRA for successor: rule +2 at scale 1 (mix at 0.5: +1 after even bytes, +2 after odd). */
  successorPlus2: at("successor-plus2.gguf"),
  /** LoRA for successor: rule -1 at scale 1 (mix at 0.5: +1 after even bytes, -1 after odd). */
  successorAlt: at("successor-alt.gguf"),
  /** LoRA built for a different base (288-wide embeddings): llama.cpp rejects it with a shape error. */
  successorWrongBase: at("successor-wrong-base.gguf"),
  /** Exact byte-bigram model of the workshop corpus (core/fixtures/corpus.ts). */
  demo: at("demo.gguf"),
  /** Low-rank LoRA moving demo toward the kitchen corpus. */
  demoLora: at("demo-lora.gguf"),
  /** Files the header validator or semantic check must reject (each with one fault). */
  broken: {
    /** Valid header, tensor data cut short. */
    truncated: at("broken/truncated.gguf"),
    /** First bytes are not "GGUF". */
    wrongMagic: at("broken/wrong-magic.gguf"),
    /** Header claims 1,000,000 tensors. */
    hugeTensorCount: at("broken/huge-tensor-count.gguf"),
    /** A string length of 2^40 bytes. */
    hugeString: at("broken/huge-string.gguf"),
    /** tokenizer.ggml.tokens has the same text twice (llama.cpp aborts the process). */
    duplicateTokens: at("broken/duplicate-tokens.gguf"),
    /** llama.block_count = 0 (llama.cpp aborts the process). */
    zeroBlocks: at("broken/zero-blocks.gguf"),
    /** blk.0.attn_q.weight has the wrong shape. */
    wrongShape: at("broken/wrong-shape.gguf"),
    /** A LoRA adapter file (general.type "adapter") where a model is expected. */
    adapterAsModel: at("broken/adapter-as-model.gguf"),
  },
};

/** Writes the test fixtures that are missing or stale; quick when all are present. */
export async function ensureFixtures(): Promise<void> {
  await writeFixtures();
}

/** The ~162M-parameter random-weight bench models (written only by benchmarks, see ensureBenchFixtures). */
export const benchFixture = {
  /** 2-D weights F16 (~325 MB). */
  f16: at("bench/bench-f16.gguf"),
  /** 2-D weights Q8_0 (~173 MB). */
  q8_0: at("bench/bench-q8_0.gguf"),
};

/** Writes the bench models when missing (tens of seconds the first time); for bench/ only, never tests. */
export async function ensureBenchFixtures(): Promise<void> {
  await writeFixtures({ benchOnly: true });
}

/** A bounded file reader for `validateGgufHeader`, counting the bytes it was asked for. */
export interface GgufFileReader {
  /** Reads `length` bytes at `offset` (fewer at end of file). */
  readAt: GgufReadAt;
  /** File size in bytes. */
  size: number;
  /** Total bytes returned so far. */
  bytesRead: () => number;
  /** Closes the file. */
  close: () => Promise<void>;
}

/** Opens `path` for header validation. */
export async function openGgufFile(path: string): Promise<GgufFileReader> {
  const { size } = await stat(path);
  const fh = await open(path, "r");
  let total = 0;
  return {
    size,
    readAt: async (offset, length) => {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      total += bytesRead;
      return buf.subarray(0, bytesRead);
    },
    bytesRead: () => total,
    close: () => fh.close(),
  };
}

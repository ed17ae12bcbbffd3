// The GGUF inspector: what a model file is (architecture, size, quantization, context,
// tokenizer, chat template, the tensor table), read from the header alone through the
// validator in header.ts, so a hostile file is refused in milliseconds and nothing is loaded.
// Callers: core/services/inspect.ts (the models.inspect API method), tests and benchmarks.
import { validateGgufHeader, type GgufHeader, type GgufReadAt, type ValidateGgufOptions } from "./header.ts";
import { findModelProblems } from "./semantics.ts";
import { GGML_TYPES } from "./types.ts";
import type { GgufValue } from "./types.ts";

/** llama_ftype names (general.file_type) as llama.cpp's quantize tool prints them. */
export const GGUF_FILE_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_1_SOME_F16", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
  10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
  17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS",
  24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS",
  31: "IQ1_M", 32: "BF16", 33: "Q4_0_4_4", 34: "Q4_0_4_8", 35: "Q4_0_8_8", 36: "TQ1_0", 37: "TQ2_0",
  38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
};

/** llama.cpp sets this bit of general.file_type when the type was guessed, not chosen. */
const FILE_TYPE_GUESSED = 1024;

/** Name of a general.file_type value ("Q4_K_M"), "type N" for an unknown one. */
export function fileTypeName(fileType: number): string {
  const base = fileType & ~FILE_TYPE_GUESSED;
  const name = GGUF_FILE_TYPE_NAMES[base] ?? `type ${base}`;
  return fileType & FILE_TYPE_GUESSED ? `${name} (guessed)` : name;
}

/** One row of the tensor table. */
export interface InspectedTensor {
  /** Tensor name, e.g. "blk.0.attn_q.weight". */
  name: string;
  /** ggml type name, e.g. "Q4_K". */
  type: string;
  /** Dims in ggml order (ne[0], the row length, first). */
  shape: number[];
  /** Elements (product of the dims). */
  elements: number;
  /** Encoded bytes. */
  bytes: number;
  /** Offset of the data from the start of the file. */
  offset: number;
}

/** Tensors of one ggml type. */
export interface TensorTypeShare {
  /** ggml type name. */
  type: string;
  /** Tensors of this type. */
  tensors: number;
  /** Elements in them. */
  elements: number;
  /** Bytes they take. */
  bytes: number;
}

/** Token ids of the special tokens (null when the file does not name one). */
export interface SpecialTokenIds {
  bos: number | null;
  eos: number | null;
  eot: number | null;
  pad: number | null;
  unk: number | null;
  sep: number | null;
}

/** A metadata entry shortened for display (long arrays summarised, long strings cut). */
export interface InspectedMetadata {
  key: string;
  /** Value type, "array of string" for arrays. */
  type: string;
  /** The value as text (arrays show their length and first items). */
  value: string;
}

/** Everything the inspector reports about one GGUF file. JSON-safe. */
export interface GgufInspection {
  /** GGUF version (2 or 3). */
  version: number;
  /** File size in bytes. */
  fileSize: number;
  /** Bytes before the tensor data (header plus alignment padding). */
  headerBytes: number;
  /** general.type: "model" (default) or "adapter". */
  kind: string;
  /** general.architecture, e.g. "llama"; null when absent. */
  architecture: string | null;
  /** general.name; null when absent. */
  name: string | null;
  /** Sum of the element counts of every tensor. */
  parameters: number;
  /** Number of tensors. */
  tensorCount: number;
  /** Bytes of tensor data. */
  tensorBytes: number;
  /** general.file_type as stored; null when absent. */
  fileType: number | null;
  /** Its name ("Q4_K_M"); from the dominant tensor type when general.file_type is absent; null for an empty file. */
  quantization: string | null;
  /** The ggml type holding the most bytes. */
  dominantType: string | null;
  /** Per ggml type: tensors, elements and bytes; most bytes first. */
  types: TensorTypeShare[];
  /** `<arch>.context_length`: the context the model was trained with. */
  contextLength: number | null;
  /** `<arch>.embedding_length`. */
  embeddingLength: number | null;
  /** `<arch>.block_count` (transformer layers). */
  layers: number | null;
  /** `<arch>.attention.head_count`. */
  heads: number | null;
  /** `<arch>.attention.head_count_kv` (the head count when absent). */
  headsKv: number | null;
  /** `<arch>.feed_forward_length`. */
  feedForwardLength: number | null;
  /** tokenizer.chat_template (Jinja text); null when the file has none. */
  chatTemplate: string | null;
  /** Tokenizer facts. */
  tokenizer: {
    /** tokenizer.ggml.model, e.g. "gpt2", "llama". */
    model: string | null;
    /** tokenizer.ggml.pre (pre-tokenizer), e.g. "qwen2". */
    pre: string | null;
    /** Tokens in tokenizer.ggml.tokens (else `<arch>.vocab_size`). */
    vocabSize: number | null;
    /** Entries in tokenizer.ggml.merges. */
    merges: number | null;
    /** tokenizer.ggml.add_bos_token. */
    addBos: boolean | null;
    /** Special token ids. */
    special: SpecialTokenIds;
    /** Texts of the special tokens named in `special` (by id). */
    specialTexts: Record<string, string>;
  };
  /** The tensor table in file order. */
  tensors: InspectedTensor[];
  /** Every metadata entry except the big tokenizer arrays' contents, in file order. */
  metadata: InspectedMetadata[];
  /** Why llama.cpp would refuse or abort on this file (empty when it looks loadable). */
  problems: string[];
}

function intOf(v: GgufValue | undefined): number | null {
  if (v === undefined || v.type === "array") return null;
  if (typeof v.value === "number") return Number.isInteger(v.value) ? v.value : null;
  if (typeof v.value === "bigint") return Number(v.value);
  return null;
}

function stringOf(v: GgufValue | undefined): string | null {
  return v?.type === "string" ? v.value : null;
}

const MAX_TEXT = 200;
const MAX_ITEMS = 8;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length} chars)` : s;
}

/** A metadata value as short text. */
function describeValue(v: GgufValue): InspectedMetadata["value"] {
  if (v.type !== "array") return v.type === "string" ? clip(v.value) : String(v.value);
  const items = (v.value as unknown[]).slice(0, MAX_ITEMS).map((x) => (typeof x === "string" ? JSON.stringify(x) : String(x)));
  const more = v.value.length > MAX_ITEMS ? `, … (${v.value.length} items)` : "";
  return clip(`[${items.join(", ")}${more}]`);
}

/** The report for an already validated header (pure and synchronous). */
export function inspectGgufHeader(header: GgufHeader): GgufInspection {
  const md = header.metadata;
  const arch = stringOf(md.get("general.architecture"));
  const archInt = (key: string): number | null => (arch ? intOf(md.get(`${arch}.${key}`)) : null);

  const byType = new Map<string, TensorTypeShare>();
  let parameters = 0;
  let tensorBytes = 0;
  const tensors: InspectedTensor[] = header.tensors.map((t) => {
    let elements = 1;
    for (const d of t.dims) elements *= d;
    parameters += elements;
    tensorBytes += t.bytes;
    const share = byType.get(t.typeName) ?? { type: t.typeName, tensors: 0, elements: 0, bytes: 0 };
    share.tensors++;
    share.elements += elements;
    share.bytes += t.bytes;
    byType.set(t.typeName, share);
    return { name: t.name, type: t.typeName, shape: t.dims, elements, bytes: t.bytes, offset: t.fileOffset };
  });
  const types = [...byType.values()].sort((a, b) => b.bytes - a.bytes || a.type.localeCompare(b.type));
  const dominantType = types[0]?.type ?? null;
  const fileType = intOf(md.get("general.file_type"));

  const tokens = md.get("tokenizer.ggml.tokens");
  const tokenTexts = tokens?.type === "array" && tokens.itemType === "string" ? tokens.value : null;
  const merges = md.get("tokenizer.ggml.merges");
  const addBos = md.get("tokenizer.ggml.add_bos_token");
  const special: SpecialTokenIds = {
    bos: intOf(md.get("tokenizer.ggml.bos_token_id")),
    eos: intOf(md.get("tokenizer.ggml.eos_token_id")),
    eot: intOf(md.get("tokenizer.ggml.eot_token_id")),
    pad: intOf(md.get("tokenizer.ggml.padding_token_id")),
    unk: intOf(md.get("tokenizer.ggml.unknown_token_id")),
    sep: intOf(md.get("tokenizer.ggml.seperator_token_id")),
  };
  const specialTexts: Record<string, string> = {};
  for (const id of Object.values(special)) {
    const text = id === null ? undefined : tokenTexts?.[id];
    if (text !== undefined) specialTexts[String(id)] = text;
  }

  const metadata: InspectedMetadata[] = [];
  for (const [key, v] of md) {
    metadata.push({ key, type: v.type === "array" ? `array of ${v.itemType}` : v.type, value: describeValue(v) });
  }

  const heads = archInt("attention.head_count");
  return {
    version: header.version,
    fileSize: header.fileSize,
    headerBytes: header.dataOffset,
    kind: stringOf(md.get("general.type")) ?? "model",
    architecture: arch,
    name: stringOf(md.get("general.name")),
    parameters,
    tensorCount: tensors.length,
    tensorBytes,
    fileType,
    quantization: fileType !== null ? fileTypeName(fileType) : dominantType,
    dominantType,
    types,
    contextLength: archInt("context_length"),
    embeddingLength: archInt("embedding_length"),
    layers: archInt("block_count"),
    heads,
    headsKv: archInt("attention.head_count_kv") ?? heads,
    feedForwardLength: archInt("feed_forward_length"),
    chatTemplate: stringOf(md.get("tokenizer.chat_template")),
    tokenizer: {
      model: stringOf(md.get("tokenizer.ggml.model")),
      pre: stringOf(md.get("tokenizer.ggml.pre")),
      vocabSize: tokenTexts?.length ?? archInt("vocab_size"),
      merges: merges?.type === "array" ? merges.value.length : null,
      addBos: addBos?.type === "bool" ? addBos.value : null,
      special,
      specialTexts,
    },
    tensors,
    metadata,
    problems: findModelProblems(header, { expect: stringOf(md.get("general.type")) === "adapter" ? "adapter" : "model" }).map((p) => p.message),
  };
}

/**
 * Validates the header of a GGUF file of `fileSize` bytes through `readAt` (header bytes
 * only, the validator's limits apply) and reports on it. Throws the validator's GgufError
 * for a file that is not well-formed GGUF.
 */
export async function inspectGguf(readAt: GgufReadAt, fileSize: number, options?: ValidateGgufOptions): Promise<GgufInspection> {
  return inspectGgufHeader(await validateGgufHeader(readAt, fileSize, options));
}

/** Bits per weight of a ggml type by name (Q4_K: 4.5), null for an unknown name. */
export function bitsPerWeight(type: string): number | null {
  for (const t of Object.values(GGML_TYPES)) if (t.name === type) return (t.typeSize * 8) / t.blockSize;
  return null;
}

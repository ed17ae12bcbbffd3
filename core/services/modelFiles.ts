// Looks at a GGUF file without loading it: header validation (bounded reads), then the
// semantic checks that keep llama.cpp from aborting, and the metadata worth keeping in
// the catalog. Used by the models domain (add, scan) before anything reaches the engine.
import { GgufError, validateGgufHeader, type GgufHeader } from "../gguf/header.ts";
import { findModelProblems, ggufInt, ggufString } from "../gguf/semantics.ts";
import type { JsonObject } from "../history/types.ts";
import type { FilesPort } from "./files.ts";

/** What a file turned out to be. */
export type GgufFileKind = "model" | "adapter" | "invalid";

export interface InspectedFile {
  kind: GgufFileKind;
  /** Why the file cannot be used (kind "invalid"), naming the fault. */
  problem: string | null;
  /** Catalog metadata: architecture, name, parameters, context length, quantisation, adapter info. */
  metadata: JsonObject;
  sizeBytes: number;
}

const fileTypeNames: Record<number, string> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
  12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16",
};

export function summarizeHeader(header: GgufHeader): JsonObject {
  const arch = ggufString(header, "general.architecture") ?? "unknown";
  const parameters = header.tensors.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  const fileType = ggufInt(header, "general.file_type");
  const meta: JsonObject = {
    architecture: arch,
    type: ggufString(header, "general.type") ?? "model",
    name: ggufString(header, "general.name") ?? null,
    parameters,
    tensorCount: header.tensors.length,
    contextLength: ggufInt(header, `${arch}.context_length`) ?? null,
    blockCount: ggufInt(header, `${arch}.block_count`) ?? null,
    embeddingLength: ggufInt(header, `${arch}.embedding_length`) ?? null,
    quantization: fileType === undefined ? null : (fileTypeNames[fileType] ?? `type ${fileType}`),
    hasChatTemplate: header.metadata.has("tokenizer.chat_template"),
  };
  if (meta.type === "adapter") {
    meta.adapterType = ggufString(header, "adapter.type") ?? null;
    const alpha = header.metadata.get("adapter.lora.alpha");
    meta.loraAlpha = alpha && typeof alpha.value === "number" ? alpha.value : null;
    const a = header.tensors.find((t) => t.name.endsWith(".lora_a"));
    meta.rank = a ? (a.dims[1] ?? null) : null;
    meta.targets = [...new Set(header.tensors.map((t) => t.name.replace(/\.lora_[ab]$/, "")))].slice(0, 200);
    meta.baseModel = ggufString(header, "general.base_model.0.name") ?? null;
  }
  return meta;
}

/** Reads and checks a file's header; never throws for a bad file (kind "invalid" says why). */
export async function inspectGgufFile(files: FilesPort, path: string): Promise<InspectedFile> {
  let reader;
  try {
    reader = await files.open(path);
  } catch (err) {
    return { kind: "invalid", problem: (err as Error).message, metadata: {}, sizeBytes: 0 };
  }
  try {
    const header = await validateGgufHeader(reader.readAt, reader.size);
    const metadata = summarizeHeader(header);
    if (metadata.type === "adapter") return { kind: "adapter", problem: null, metadata, sizeBytes: reader.size };
    const problems = findModelProblems(header);
    return {
      kind: problems.length ? "invalid" : "model",
      problem: problems.length ? problems.map((p) => p.message).join("; ") : null,
      metadata,
      sizeBytes: reader.size,
    };
  } catch (err) {
    const message = err instanceof GgufError ? err.message : `Not a readable GGUF file: ${(err as Error).message}`;
    return { kind: "invalid", problem: message, metadata: {}, sizeBytes: reader.size };
  } finally {
    await reader.close();
  }
}

// Runs core/gguf's header validator on files before llama.cpp sees them (a malformed file
// can make llama.cpp read for minutes or abort the process), and checks LoRA adapters
// against the loaded model the way llama.cpp will (with llama.cpp's wording), so the user
// gets the reason up front. Called by HostRuntime before loads and context creation.
import { open, stat } from "node:fs/promises";
import { EngineError } from "../../core/engine/errors.ts";
import { GgufError, validateGgufHeader, type GgufHeader } from "../../core/gguf/header.ts";
import { checkModelSemantics, findAdapterMismatches } from "../../core/gguf/semantics.ts";

/** Reads and validates a GGUF header from disk (header bytes only). */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new EngineError("file_not_found", `${path} is not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new EngineError("file_not_found", `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const fh = await open(path, "r");
  try {
    return await validateGgufHeader(async (offset, length) => {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      if (buf.length === 0) return buf;
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      return buf.subarray(0, bytesRead);
    }, size);
  } finally {
    await fh.close();
  }
}

function ggufFailure(path: string, err: unknown, what: string): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof GgufError) return new EngineError("invalid_gguf", `${path} is not a usable ${what}: ${err.message}`);
  return new EngineError("invalid_gguf", `${path} could not be checked: ${err instanceof Error ? err.message : String(err)}`);
}

/** Validates a model file: header structure, then the semantic checks (tokens, blocks, shapes). */
export async function checkModelFile(path: string): Promise<GgufHeader> {
  try {
    const header = await readGgufHeader(path);
    checkModelSemantics(header);
    return header;
  } catch (err) {
    throw ggufFailure(path, err, "model");
  }
}

/**
 * Checks a LoRA adapter against the model it will be applied to (core/gguf's
 * findAdapterMismatches: adapter type, architecture, every pair's base tensor and shapes),
 * adding llama.cpp's own wording for a shape mismatch so the user sees the familiar reason.
 */
export async function checkAdapterFile(path: string, model: GgufHeader): Promise<void> {
  let header: GgufHeader;
  try {
    header = await readGgufHeader(path);
  } catch (err) {
    throw ggufFailure(path, err, "adapter");
  }
  const [problem] = findAdapterMismatches(header, model);
  if (!problem) return;
  const target = /"([^"]+)"/.exec(problem.message)?.[1];
  const llamaCpp =
    problem.code === "wrong-shape" && target
      ? ` (llama.cpp: tensor '${target}' has incorrect shape (hint: maybe wrong base model?))`
      : problem.code === "missing-tensor" && target
        ? ` (llama.cpp: LoRA tensor '${target}' does not exist in base model (hint: maybe wrong base model?))`
        : "";
  throw new EngineError("adapter_mismatch", `adapter ${path} does not fit this model: ${problem.message}${llamaCpp}`);
}

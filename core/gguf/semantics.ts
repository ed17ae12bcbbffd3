// Semantic checks on a validated GGUF header, for files the engine is about to load: the faults
// that make llama.cpp abort the process (duplicate token texts, block_count 0) or fail with only a
// generic message (wrong tensor shape, an adapter given as a model). Callers: engine (before
// loadModel / createContext), the GGUF inspector, fixture tests.
import { GgufError } from "./header.ts";
import type { GgufHeader } from "./header.ts";
import type { GgufValue } from "./types.ts";

/** Options for `findModelProblems` / `checkModelSemantics`. */
export interface ModelSemanticsOptions {
  /** What the caller is about to use the file as. Default "model". */
  expect?: "model" | "adapter";
}

function describe(v: GgufValue): string {
  return v.type === "array" ? `array of ${v.itemType}` : v.type;
}

/** A non-negative integer metadata value, or undefined when absent; throws a GgufError on a wrong type. */
export function ggufInt(header: GgufHeader, key: string): number | undefined {
  const v = header.metadata.get(key);
  if (v === undefined) return undefined;
  if (
    v.type === "u8" ||
    v.type === "u16" ||
    v.type === "u32" ||
    v.type === "i8" ||
    v.type === "i16" ||
    v.type === "i32"
  )
    return v.value;
  if (v.type === "u64" || v.type === "i64") return Number(v.value);
  throw new GgufError("wrong-key-type", `${key} should be an integer, got ${describe(v)}`);
}

/** A string metadata value, or undefined when absent; throws a GgufError on a wrong type. */
export function ggufString(header: GgufHeader, key: string): string | undefined {
  const v = header.metadata.get(key);
  if (v === undefined) return undefined;
  if (v.type !== "string")
    throw new GgufError("wrong-key-type", `${key} should be a string, got ${describe(v)}`);
  return v.value;
}

/** The adapter-side checks: general.type "adapter", adapter.type "lora", complete lora_a/lora_b pairs. */
function adapterProblems(header: GgufHeader): GgufError[] {
  const type = ggufString(header, "general.type");
  if (type !== "adapter") {
    return [
      new GgufError(
        "not-an-adapter",
        `general.type is ${type === undefined ? "missing" : `"${type}"`}: this is a full model, not a LoRA adapter`,
      ),
    ];
  }
  const out: GgufError[] = [];
  const adapterType = ggufString(header, "adapter.type");
  if (adapterType !== "lora")
    out.push(
      new GgufError(
        "not-an-adapter",
        `adapter.type is ${adapterType === undefined ? "missing" : `"${adapterType}"`}, expected "lora"`,
      ),
    );
  if (ggufString(header, "general.architecture") === undefined)
    out.push(new GgufError("missing-key", "general.architecture is missing"));
  const names = new Set(header.tensors.map((t) => t.name));
  let pairs = 0;
  for (const t of header.tensors) {
    const m = /^(.*)\.lora_([ab])$/.exec(t.name);
    if (!m) continue;
    if (m[2] === "a") pairs++;
    const other = `${m[1]}.lora_${m[2] === "a" ? "b" : "a"}`;
    if (!names.has(other))
      out.push(new GgufError("missing-tensor", `LoRA tensor "${t.name}" has no matching "${other}"`));
  }
  if (pairs === 0) out.push(new GgufError("missing-tensor", "the adapter has no lora_a/lora_b tensor pairs"));
  return out;
}

/** Expected dims of the llama tensors this header should have, from its hyperparameters. */
function llamaExpectations(
  header: GgufHeader,
  arch: string,
  nLayer: number,
  nVocab: number | undefined,
): GgufError[] | Map<string, { dims: number[]; optional?: boolean }> {
  const scalar = (key: string): number | undefined => {
    const v = header.metadata.get(`${arch}.${key}`);
    return v?.type === "array" ? undefined : ggufInt(header, `${arch}.${key}`);
  };
  const nEmbd = scalar("embedding_length");
  const nHead = scalar("attention.head_count");
  if (nEmbd === undefined) return [new GgufError("missing-key", `${arch}.embedding_length is missing`)];
  if (!nEmbd) return [new GgufError("bad-hparams", `${arch}.embedding_length is 0`)];
  if (nHead === undefined) return new Map(); // per-layer arrays: leave the shapes to llama.cpp
  if (!nHead || nEmbd % nHead !== 0)
    return [
      new GgufError(
        "bad-hparams",
        `${arch}.attention.head_count ${nHead} does not divide embedding_length ${nEmbd}`,
      ),
    ];
  const nHeadKv = scalar("attention.head_count_kv") ?? nHead;
  if (!nHeadKv || nHead % nHeadKv !== 0)
    return [
      new GgufError(
        "bad-hparams",
        `${arch}.attention.head_count_kv ${nHeadKv} does not divide head_count ${nHead}`,
      ),
    ];
  const headK = scalar("attention.key_length") ?? nEmbd / nHead;
  const headV = scalar("attention.value_length") ?? nEmbd / nHead;
  const nRot = scalar("rope.dimension_count");
  if (nRot !== undefined && nRot !== headK) {
    return [
      new GgufError(
        "bad-hparams",
        `${arch}.rope.dimension_count is ${nRot}, expected ${headK} (embedding_length / head_count)`,
      ),
    ];
  }
  const nFf = scalar("feed_forward_length");
  const experts = scalar("expert_count") ?? 0;
  const want = new Map<string, { dims: number[]; optional?: boolean }>();
  if (nVocab !== undefined) {
    want.set("token_embd.weight", { dims: [nEmbd, nVocab] });
    want.set("output.weight", { dims: [nEmbd, nVocab], optional: true });
  }
  want.set("output_norm.weight", { dims: [nEmbd] });
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}.`;
    want.set(`${p}attn_norm.weight`, { dims: [nEmbd] });
    want.set(`${p}attn_q.weight`, { dims: [nEmbd, nHead * headK] });
    want.set(`${p}attn_k.weight`, { dims: [nEmbd, nHeadKv * headK] });
    want.set(`${p}attn_v.weight`, { dims: [nEmbd, nHeadKv * headV] });
    want.set(`${p}attn_output.weight`, { dims: [nHead * headV, nEmbd] });
    want.set(`${p}ffn_norm.weight`, { dims: [nEmbd] });
    if (experts === 0 && nFf !== undefined) {
      want.set(`${p}ffn_gate.weight`, { dims: [nEmbd, nFf] });
      want.set(`${p}ffn_up.weight`, { dims: [nEmbd, nFf] });
      want.set(`${p}ffn_down.weight`, { dims: [nFf, nEmbd] });
    }
  }
  return want;
}

/** Every semantic problem found (empty when the file looks loadable as `expect`). */
export function findModelProblems(header: GgufHeader, options: ModelSemanticsOptions = {}): GgufError[] {
  try {
    if (options.expect === "adapter") return adapterProblems(header);
    const type = ggufString(header, "general.type");
    if (type === "adapter") {
      return [
        new GgufError(
          "not-a-model",
          `general.type is "adapter": this is a LoRA adapter, not a model (apply it to its base model instead)`,
        ),
      ];
    }
    if (type !== undefined && type !== "model")
      return [new GgufError("not-a-model", `general.type is "${type}", not "model"`)];
    const arch = ggufString(header, "general.architecture");
    if (arch === undefined) return [new GgufError("missing-key", "general.architecture is missing")];
    const out: GgufError[] = [];
    const nLayer = ggufInt(header, `${arch}.block_count`);
    if (nLayer === undefined) out.push(new GgufError("missing-key", `${arch}.block_count is missing`));
    else if (nLayer === 0)
      out.push(
        new GgufError(
          "zero-blocks",
          `${arch}.block_count is 0: a model needs at least one block (llama.cpp aborts on this)`,
        ),
      );

    const tokens = header.metadata.get("tokenizer.ggml.tokens");
    let nVocab: number | undefined;
    if (tokens !== undefined) {
      if (tokens.type !== "array" || tokens.itemType !== "string") {
        out.push(
          new GgufError(
            "wrong-key-type",
            `tokenizer.ggml.tokens should be an array of strings, got ${describe(tokens)}`,
          ),
        );
      } else {
        nVocab = tokens.value.length;
        const seen = new Map<string, number>();
        // Fast path: a Set finds whether any duplicate exists; the Map walk names it.
        const hasDuplicate = new Set(tokens.value).size !== nVocab;
        for (let id = 0; hasDuplicate && id < tokens.value.length; id++) {
          const text = tokens.value[id]!;
          const first = seen.get(text);
          if (first !== undefined) {
            out.push(
              new GgufError(
                "duplicate-token",
                `duplicate token text ${JSON.stringify(text)} in tokenizer.ggml.tokens (ids ${first} and ${id}); llama.cpp aborts on this`,
              ),
            );
            break;
          }
          seen.set(text, id);
        }
        const types = header.metadata.get("tokenizer.ggml.token_type");
        if (types?.type === "array" && types.value.length !== nVocab) {
          out.push(
            new GgufError(
              "bad-hparams",
              `tokenizer.ggml.token_type has ${types.value.length} entries for ${nVocab} tokens`,
            ),
          );
        }
      }
    }

    if (arch === "llama" && nLayer !== undefined) {
      const want = llamaExpectations(header, arch, nLayer, nVocab);
      if (Array.isArray(want)) return [...out, ...want];
      const have = new Map(header.tensors.map((t) => [t.name, t.dims]));
      for (const [name, { dims, optional }] of want) {
        const got = have.get(name);
        if (got === undefined) {
          if (!optional) out.push(new GgufError("missing-tensor", `tensor "${name}" is missing`));
          continue;
        }
        // ggml pads trailing dims with 1: [n] and [n, 1] are the same shape.
        const norm = (d: number[]): string => {
          const c = [...d];
          while (c.length > 1 && c[c.length - 1] === 1) c.pop();
          return c.join(", ");
        };
        if (norm(got) !== norm(dims)) {
          out.push(
            new GgufError(
              "wrong-shape",
              `tensor "${name}" has shape [${got.join(", ")}], expected [${dims.join(", ")}] from the ${arch}.* hyperparameters`,
            ),
          );
        }
      }
    }
    return out;
  } catch (e) {
    if (e instanceof GgufError) return [e];
    throw e;
  }
}

/** Throws the first problem `findModelProblems` reports (a GgufError naming the fault). */
export function checkModelSemantics(header: GgufHeader, options: ModelSemanticsOptions = {}): void {
  const [first] = findModelProblems(header, options);
  if (first) throw first;
}

/**
 * Checks a LoRA adapter header against the base model header it will be applied to, as
 * llama.cpp does: same architecture, each pair's base tensor exists, lora_a [in, r] and
 * lora_b [r, out] fit the base tensor [in, out]. Returns the problems (empty when it fits).
 */
export function findAdapterMismatches(adapter: GgufHeader, model: GgufHeader): GgufError[] {
  const own = findModelProblems(adapter, { expect: "adapter" });
  if (own.length) return own;
  const out: GgufError[] = [];
  const aArch = ggufString(adapter, "general.architecture");
  const mArch = ggufString(model, "general.architecture");
  if (aArch !== mArch)
    out.push(
      new GgufError(
        "wrong-architecture",
        `adapter architecture "${aArch}" does not match the model's "${mArch}"`,
      ),
    );
  const base = new Map(model.tensors.map((t) => [t.name, t.dims]));
  const dims = new Map(adapter.tensors.map((t) => [t.name, t.dims]));
  for (const t of adapter.tensors) {
    const m = /^(.*)\.lora_a$/.exec(t.name);
    if (!m) continue;
    const target = m[1]!;
    const a = t.dims;
    const b = dims.get(`${target}.lora_b`)!;
    const w = base.get(target);
    if (!w) {
      out.push(
        new GgufError(
          "missing-tensor",
          `LoRA target "${target}" does not exist in the model (built for another base?)`,
        ),
      );
      continue;
    }
    if (a[0] !== w[0] || b[1] !== w[1]) {
      out.push(
        new GgufError(
          "wrong-shape",
          `LoRA for "${target}" is [${a[0]} -> ${b[1]}], the model's tensor is [${w[0]} -> ${w[1]}] (built for another base?)`,
        ),
      );
    } else if (a[1] !== b[0]) {
      out.push(
        new GgufError(
          "wrong-shape",
          `LoRA for "${target}": lora_a rank ${a[1]} differs from lora_b rank ${b[0]}`,
        ),
      );
    }
  }
  return out;
}

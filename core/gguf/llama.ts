// The llama architecture's hyperparameter keys and tensor shapes, in one place so the fixture
// builders (core/fixtures) lay models out exactly as the semantic check (semantics.ts) expects.

/** Hyperparameters of a llama-architecture model. */
export interface LlamaShape {
  /** Embedding width (llama.embedding_length). */
  nEmbd: number;
  /** Vocabulary size (rows of token_embd and output). */
  nVocab: number;
  /** Attention heads (llama.attention.head_count). */
  nHead: number;
  /** Key/value heads (llama.attention.head_count_kv); equals nHead without grouped-query attention. */
  nHeadKv: number;
  /** Feed-forward width (llama.feed_forward_length). */
  nFf: number;
  /** Transformer blocks (llama.block_count). */
  nLayer: number;
}

/** A tensor name with its ggml dims (ne[0] first). */
export interface TensorShape {
  /** Tensor name as llama.cpp looks it up. */
  name: string;
  /** Dims in ggml order (columns first). */
  dims: number[];
}

/** Every tensor a llama model with `shape` has (untied output), in the order the builders write them. */
export function llamaTensorShapes(shape: LlamaShape): TensorShape[] {
  const { nEmbd, nVocab, nHead, nHeadKv, nFf, nLayer } = shape;
  const headDim = nEmbd / nHead;
  const nEmbdKv = headDim * nHeadKv;
  const out: TensorShape[] = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab] },
    { name: "output_norm.weight", dims: [nEmbd] },
    { name: "output.weight", dims: [nEmbd, nVocab] },
  ];
  for (let i = 0; i < nLayer; i++) {
    const p = `blk.${i}.`;
    out.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd] },
      { name: `${p}attn_q.weight`, dims: [nEmbd, nEmbd] },
      { name: `${p}attn_k.weight`, dims: [nEmbd, nEmbdKv] },
      { name: `${p}attn_v.weight`, dims: [nEmbd, nEmbdKv] },
      { name: `${p}attn_output.weight`, dims: [nEmbd, nEmbd] },
      { name: `${p}ffn_norm.weight`, dims: [nEmbd] },
      { name: `${p}ffn_gate.weight`, dims: [nEmbd, nFf] },
      { name: `${p}ffn_up.weight`, dims: [nEmbd, nFf] },
      { name: `${p}ffn_down.weight`, dims: [nFf, nEmbd] },
    );
  }
  return out;
}

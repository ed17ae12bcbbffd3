// The curated starter list the Models panel offers for a first download: small instruct
// GGUF models that run on a laptop CPU. Sizes are the hub's figures rounded (approximate);
// the download itself reports and checks the real size. Served by `models.curated`.
import type { CuratedModel } from "../api/models.ts";

const MB = 1_000_000;

/** Smallest first. */
export const curatedModels: readonly CuratedModel[] = [
  {
    name: "SmolLM2 360M Instruct",
    uri: "hf:bartowski/SmolLM2-360M-Instruct-GGUF:Q4_K_M",
    approxSizeBytes: 270 * MB,
    parameters: "0.36B",
    quantization: "Q4_K_M",
    note: "Tiny and fast; good for trying the sampling and critique tools.",
  },
  {
    name: "Qwen2.5 0.5B Instruct",
    uri: "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M",
    approxSizeBytes: 490 * MB,
    parameters: "0.5B",
    quantization: "Q4_K_M",
    note: "The smallest model that follows instructions reliably; ChatML template.",
  },
  {
    name: "Llama 3.2 1B Instruct",
    uri: "hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
    approxSizeBytes: 810 * MB,
    parameters: "1.2B",
    quantization: "Q4_K_M",
    note: "Meta's small chat model; 128k trained context.",
  },
  {
    name: "Qwen2.5 1.5B Instruct",
    uri: "hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M",
    approxSizeBytes: 1120 * MB,
    parameters: "1.5B",
    quantization: "Q4_K_M",
    note: "A step up in quality at about a gigabyte.",
  },
  {
    name: "Phi-3.5 mini Instruct",
    uri: "hf:bartowski/Phi-3.5-mini-instruct-GGUF:Q4_K_M",
    approxSizeBytes: 2390 * MB,
    parameters: "3.8B",
    quantization: "Q4_K_M",
    note: "The largest here; strong reasoning for its size, needs ~4 GB of memory.",
  },
];

// Memory fit before loading: node-llama-cpp's GGUF insights estimate the RAM and VRAM a model
// file and a context of a chosen size would take with a chosen number of GPU layers, compared
// with what is free now. The file passes core/gguf's validator first (the estimate makes
// llama.cpp read the file's metadata, which can abort on a malformed file). Called by
// HostRuntime.memoryFit for the engine's `memoryFit` method; nothing is loaded.
import { GgufInsights, InsufficientMemoryError, readGgufFileInfo, type Llama } from "node-llama-cpp";
import type { z } from "zod";
import { EngineError } from "../../core/engine/errors.ts";
import type { GpuBackendName, MemoryFitResult, MemoryFitVerdict, memoryFitRequestSchema } from "../../core/engine/types.ts";
import { checkModelFile } from "./ggufCheck.ts";

/** llama.cpp pads a context to a multiple of this many tokens. */
const CONTEXT_PADDING = 256;

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(bytes < 1e8 ? 3 : 2)} GB`;
}

/** The request as the host validated it. */
export type MemoryFitParams = z.output<typeof memoryFitRequestSchema>;

/** Estimates what loading `params.path` with a context of `params.contextSize` would take, against free memory now. */
export async function estimateMemoryFit(llama: Llama, params: MemoryFitParams, signal: AbortSignal): Promise<MemoryFitResult> {
  const t0 = performance.now();
  await checkModelFile(params.path);
  signal.throwIfAborted();
  let insights: GgufInsights;
  try {
    const fileInfo = await readGgufFileInfo(params.path, { logWarnings: false, signal });
    insights = await GgufInsights.from(fileInfo, llama);
  } catch (err) {
    if (signal.aborted) throw new EngineError("cancelled", "memory fit cancelled");
    throw new EngineError("invalid_gguf", `${params.path} could not be read by node-llama-cpp: ${err instanceof Error ? err.message : String(err)}`);
  }
  const totalLayers = insights.totalLayers;
  const trainContextSize = insights.trainContextSize ?? 4096;
  const requested = params.contextSize ?? Math.min(4096, trainContextSize);
  const contextSize = Math.ceil(requested / CONTEXT_PADDING) * CONTEXT_PADDING;
  const sequences = params.sequences;
  const backend: GpuBackendName = llama.gpu === false ? "cpu" : llama.gpu;
  const gpuUsable = llama.gpu !== false && llama.supportsGpuOffloading;
  const [vramState, ramState] = await Promise.all([llama.getVramState(), llama.getRamState()]);

  // Most layers whose weights and this context fit in free VRAM now.
  let maxGpuLayersThatFit = 0;
  if (gpuUsable) {
    try {
      const r = await insights.configurationResolver.resolveModelGpuLayersV2({ fitContext: { contextSize } }, { signal });
      maxGpuLayersThatFit = r.gpuLayers;
    } catch (err) {
      if (signal.aborted) throw new EngineError("cancelled", "memory fit cancelled");
      if (!(err instanceof InsufficientMemoryError)) throw err;
    }
  }
  const gpuLayers = !gpuUsable
    ? 0
    : params.gpuLayers === "auto"
      ? maxGpuLayersThatFit
      : params.gpuLayers === "max"
        ? totalLayers
        : Math.min(params.gpuLayers, totalLayers);

  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
  const context = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: gpuLayers, sequences });
  signal.throwIfAborted();
  const ram = { model: model.cpuRam, context: context.cpuRam, needed: model.cpuRam + context.cpuRam, free: ramState.free, total: ramState.total };
  const vram = { model: model.gpuVram, context: context.gpuVram, needed: model.gpuVram + context.gpuVram, free: vramState.free, total: vramState.total };

  let verdict: MemoryFitVerdict;
  let reason: string;
  if (ram.needed > ram.free) {
    verdict = "won't fit";
    reason = `needs ${gb(ram.needed)} of RAM, ${gb(ram.free)} is free`;
  } else if (vram.needed > vram.free) {
    verdict = "won't fit";
    reason = `needs ${gb(vram.needed)} of VRAM for ${gpuLayers} GPU layers, ${gb(vram.free)} is free (at most ${maxGpuLayersThatFit} layers fit)`;
  } else if (gpuUsable && gpuLayers < totalLayers) {
    verdict = "partly offloaded";
    reason = `${gpuLayers} of ${totalLayers} layers on the GPU, the rest on the CPU`;
  } else {
    verdict = "fits";
    reason = gpuUsable ? `all ${totalLayers} layers on the GPU` : `fits in RAM (CPU backend)`;
  }
  return {
    verdict,
    reason,
    backend,
    totalLayers,
    gpuLayers,
    maxGpuLayersThatFit,
    contextSize,
    sequences,
    trainContextSize,
    ram,
    vram,
    ms: performance.now() - t0,
  };
}

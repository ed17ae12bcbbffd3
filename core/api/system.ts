// The `system` domain: what this Lathe is and where it keeps things (app, node-llama-cpp
// and llama.cpp versions, GPU backend, data paths), plus `ticks`, a small stream the
// API tests and the status bar's connection check use.
import { z } from "zod";
import { stream, unary } from "./rpc.ts";
import type { ProgressPacket } from "./packets.ts";

/** Compute backends llama.cpp can run on. */
export type GpuBackend = "cuda" | "vulkan" | "metal" | "cpu";

/** The engine's view of the hardware, as far as it is known. */
export interface EngineSummary {
  /** node-llama-cpp version, e.g. "3.21.1". */
  nodeLlamaCppVersion: string;
  /** llama.cpp release the engine runs, e.g. "v0.4.0"; null until the engine has started. */
  llamaCppRelease: string | null;
  /** Backend in use; null until the engine has started. */
  backend: GpuBackend | null;
  /** Why that backend was chosen ("auto: no CUDA or Vulkan device found"). */
  backendReason: string;
  /** GPU device names (empty on CPU). */
  devices: string[];
  /** CPU threads used for generation. */
  threads: number;
}

/** Where Lathe keeps its data. */
export interface DataPaths {
  /** The data folder (LATHE_HOME, or the OS app-data folder). */
  home: string;
  /** Models folder (GGUF files). */
  models: string;
  /** Adapters folder (GGUF LoRA files). */
  adapters: string;
  /** The SQLite database file. */
  database: string;
}

export interface SystemInfo {
  /** Lathe's version from package.json. */
  appVersion: string;
  /** Which shell serves this API. */
  shell: "electron" | "browser";
  /** `process.platform-process.arch` of the shell, e.g. "linux-x64". */
  platform: string;
  engine: EngineSummary;
  paths: DataPaths;
  /** API domains this shell serves; the renderer shows only the panels they back. */
  domains: string[];
}

export const ticksInputSchema = z.object({
  /** How many ticks to send (1-100000). */
  count: z.number().int().min(1).max(100_000),
  /** Pause between ticks in ms (0-60000). Default 0. */
  intervalMs: z.number().int().min(0).max(60_000).default(0),
});

export const systemApi = {
  /** Versions, backend and data paths. */
  info: unary(z.object({}).strict()).returns<SystemInfo>(),
  /** Streams `count` progress packets, `intervalMs` apart; cancellable. */
  ticks: stream(ticksInputSchema).yields<ProgressPacket>(),
};

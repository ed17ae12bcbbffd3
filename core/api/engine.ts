// The `engine` domain: what the llama.cpp host is doing (backend, devices, memory,
// threads, loaded models), for the status bar and Settings.
import { z } from "zod";
import { unary } from "./rpc.ts";
import type { EngineStatus } from "../engine/types.ts";

export const engineApi = {
  /** Starts the engine host if needed and reports its status. */
  status: unary(z.object({})).returns<EngineStatus>(),
};

// Messages between the download client (in the shell) and the download worker process
// (engine/download/worker.ts), validated on receipt at both ends. JSON-safe, so Node IPC
// and Electron's parentPort carry them alike.
import { z } from "zod";

const id = z.number().int().nonnegative();

/** Client -> worker. */
export const clientToWorkerSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("start"),
    id,
    /** Checked URI (core/services/downloads.ts checkDownloadUri). */
    uri: z.string().min(1),
    /** Absolute folder to download into. */
    dirPath: z.string().min(1),
    /** File name inside dirPath; absent = the name the URI resolves to. */
    fileName: z.string().min(1).optional(),
    /** Hugging Face endpoint for hf: URIs; absent = node-llama-cpp's default. */
    hfEndpoint: z.string().min(1).optional(),
  }),
  z.object({ type: z.literal("cancel"), id }),
]);
export type ClientToWorker = z.infer<typeof clientToWorkerSchema>;

/** Worker -> client. */
export const workerToClientSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), pid: z.number().int() }),
  z.object({
    type: z.literal("progress"),
    id,
    doneBytes: z.number().nonnegative(),
    totalBytes: z.number().nonnegative().nullable(),
    bytesPerSecond: z.number().nonnegative(),
    etaSeconds: z.number().nonnegative().nullable(),
  }),
  z.object({
    type: z.literal("done"),
    id,
    path: z.string(),
    transferSizeBytes: z.number().nonnegative().nullable(),
    published: z.object({ sizeBytes: z.number().nonnegative().nullable(), sha256: z.string().nullable() }),
    resumedFromBytes: z.number().nonnegative(),
    preexisting: z.boolean(),
  }),
  z.object({ type: z.literal("failed"), id, message: z.string() }),
  z.object({ type: z.literal("cancelled"), id, partialBytes: z.number().nonnegative() }),
]);
export type WorkerToClient = z.infer<typeof workerToClientSchema>;

// Core's DownloadPort over a download worker process of its own (engine/download/worker.ts),
// so a download survives engine restarts and the engine protocol stays as it is. Starts the
// worker on first use, matches packets to downloads by id, turns AbortSignals into cancels
// (the worker keeps the partial file), and deletes or moves files only inside the folders
// it was given. Both shells construct one (server/app.ts, electron/services.ts).
import { realpath, rename, rm, stat, copyFile } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DownloadCancelledError,
  type DownloadedFile,
  type DownloadPort,
  type DownloadProgress,
  type DownloadRequest,
} from "../../core/services/downloads.ts";
import { nodeHostLauncher, type HostLauncher, type HostProcess } from "../client/launcher.ts";
import { workerToClientSchema, type ClientToWorker } from "./protocol.ts";

/** The worker entry in this source tree (run through tsx). A function, so bundles that never use it do not evaluate import.meta. */
export function defaultDownloadWorkerEntry(): string {
  return fileURLToPath(new URL("./worker.ts", import.meta.url));
}

/** Options for DownloadClient. */
export interface DownloadClientOptions {
  /** Folders whose files the client may delete or move (the models and adapters folders). Required. */
  roots: string[];
  /** Starts the worker process. Default: child_process running engine/download/worker.ts through tsx. */
  launcher?: HostLauncher;
  /** Hugging Face endpoint for hf: URIs (https, or http on loopback for a local mirror). Default: node-llama-cpp's (MODEL_ENDPOINT / HF_ENDPOINT, else https://huggingface.co/). */
  hfEndpoint?: string;
  /** Milliseconds to wait for the worker to start. Default 60000. */
  startTimeoutMs?: number;
}

interface Job {
  onProgress: (p: DownloadProgress) => void;
  resolve: (file: DownloadedFile) => void;
  reject: (err: unknown) => void;
}

interface Worker {
  proc: HostProcess;
  ready: Promise<void>;
  exited: boolean;
  /** Recent stderr, attached to the error when the worker dies. */
  output: string[];
}

export class DownloadClient implements DownloadPort {
  private readonly launcher: HostLauncher;
  private worker: Worker | null = null;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private disposed = false;

  constructor(private readonly options: DownloadClientOptions) {
    this.launcher = options.launcher ?? nodeHostLauncher({ entry: defaultDownloadWorkerEntry() });
    if (options.hfEndpoint && !/^(https:\/\/|http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$))/i.test(options.hfEndpoint)) {
      throw new Error(`hfEndpoint must be https (or http on loopback): ${options.hfEndpoint}`);
    }
  }

  /** Process id of the running worker, if any (tests kill it to check recovery). */
  get pid(): number | undefined {
    return this.worker && !this.worker.exited ? this.worker.proc.pid : undefined;
  }

  private start(): Worker {
    if (this.worker && !this.worker.exited) return this.worker;
    const proc = this.launcher({});
    let markReady!: () => void;
    let failReady!: (err: Error) => void;
    const worker: Worker = {
      proc,
      exited: false,
      output: [],
      ready: new Promise<void>((ok, fail) => {
        markReady = ok;
        failReady = fail;
      }),
    };
    worker.ready.catch(() => undefined);
    const timer = setTimeout(() => failReady(new Error("the download process did not start in time")), this.options.startTimeoutMs ?? 60_000);
    proc.onOutput((_stream, text) => {
      worker.output.push(...text.split("\n").filter(Boolean));
      worker.output.splice(0, Math.max(0, worker.output.length - 20));
    });
    proc.onMessage((raw) => {
      const parsed = workerToClientSchema.safeParse(raw);
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.type === "ready") {
        clearTimeout(timer);
        markReady();
        return;
      }
      const job = this.jobs.get(msg.id);
      if (!job) return;
      if (msg.type === "progress") {
        job.onProgress({ doneBytes: msg.doneBytes, totalBytes: msg.totalBytes, bytesPerSecond: msg.bytesPerSecond, etaSeconds: msg.etaSeconds });
        return;
      }
      this.jobs.delete(msg.id);
      if (msg.type === "done") {
        job.resolve({ path: msg.path, transferSizeBytes: msg.transferSizeBytes, published: msg.published, resumedFromBytes: msg.resumedFromBytes, preexisting: msg.preexisting });
      } else if (msg.type === "cancelled") job.reject(new DownloadCancelledError(msg.partialBytes));
      else job.reject(new Error(msg.message));
    });
    proc.onExit((code, signal) => {
      clearTimeout(timer);
      worker.exited = true;
      const tail = worker.output.slice(-5).join("\n");
      const err = new Error(`the download process stopped (${signal ?? `exit code ${code}`}); start the download again to resume${tail ? `\n${tail}` : ""}`);
      failReady(err);
      for (const [id, job] of this.jobs) {
        this.jobs.delete(id);
        job.reject(err);
      }
      if (this.worker === worker) this.worker = null;
    });
    this.worker = worker;
    return worker;
  }

  async download(request: DownloadRequest, options: { signal: AbortSignal; onProgress: (p: DownloadProgress) => void }): Promise<DownloadedFile> {
    if (this.disposed) throw new Error("the download client is closed");
    if (options.signal.aborted) throw new DownloadCancelledError(0);
    const worker = this.start();
    await worker.ready;
    const id = this.nextId++;
    const send = (m: ClientToWorker) => worker.proc.send(m);
    const onAbort = () => send({ type: "cancel", id });
    try {
      return await new Promise<DownloadedFile>((resolvePromise, reject) => {
        this.jobs.set(id, { onProgress: options.onProgress, resolve: resolvePromise, reject });
        options.signal.addEventListener("abort", onAbort, { once: true });
        send({
          type: "start",
          id,
          uri: request.uri,
          dirPath: request.dirPath,
          ...(request.fileName ? { fileName: request.fileName } : {}),
          ...(this.options.hfEndpoint ? { hfEndpoint: this.options.hfEndpoint } : {}),
        });
      });
    } finally {
      options.signal.removeEventListener("abort", onAbort);
    }
  }

  /** The real path of `path` when it lies inside one of the roots (symlinks resolved); throws otherwise. */
  private async checkInside(path: string): Promise<string> {
    const abs = resolve(path);
    const parent = await realpath(dirname(abs)).catch(() => dirname(abs));
    const real = resolve(parent, abs.slice(dirname(abs).length + 1));
    for (const root of this.options.roots) {
      const r = await realpath(root).catch(() => resolve(root));
      if (real.startsWith(r + sep)) return real;
    }
    throw new Error(`${path} is outside the models and adapters folders; refusing to touch it`);
  }

  async remove(path: string): Promise<boolean> {
    const real = await this.checkInside(path);
    const existed = (await stat(real).catch(() => null))?.isFile() ?? false;
    await rm(real, { force: true });
    await rm(`${real}.ipull`, { force: true });
    return existed;
  }

  async move(from: string, to: string): Promise<void> {
    const src = await this.checkInside(from);
    const dst = await this.checkInside(to);
    try {
      await rename(src, dst);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
      await copyFile(src, dst);
      await rm(src, { force: true });
    }
  }

  /** Cancels running downloads (their partial files stay) and stops the worker. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    if (!worker || worker.exited) return;
    const exited = new Promise<void>((ok) => worker.proc.onExit(() => ok()));
    for (const id of this.jobs.keys()) worker.proc.send({ type: "cancel", id } satisfies ClientToWorker);
    // Give the worker a moment to close its partial files cleanly (their progress is saved per chunk anyway).
    for (let waited = 0; this.jobs.size && waited < 2000; waited += 20) await new Promise((ok) => setTimeout(ok, 20));
    worker.proc.kill();
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 2000))]);
  }
}

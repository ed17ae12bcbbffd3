// Entry of the download worker process (started by engine/download/DownloadClient.ts:
// child_process for `lathe serve`, Electron utilityProcess for the desktop app). Runs
// node-llama-cpp's model downloader (ipull underneath: ranged, resumable, `.ipull` partial
// files), reports progress, keeps the partial file on cancel, and reads what the server
// publishes about the file (size, SHA-256) for the shell to check. Never loads a model.
import { createModelDownloader, type ModelDownloader } from "node-llama-cpp";
import { open, stat } from "node:fs/promises";
import { connectToParent } from "../host/channel.ts";
import { clientToWorkerSchema, type ClientToWorker, type WorkerToClient } from "./protocol.ts";

const channel = connectToParent();
const send = (message: WorkerToClient) => channel.send(message);

interface Job {
  cancelled: boolean;
  downloader: ModelDownloader | null;
}
const jobs = new Map<number, Job>();

process.on("unhandledRejection", (reason) => {
  process.stderr.write(`download worker: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
});
channel.onDisconnect(() => process.exit(0));

/** Speed over the last few seconds (ipull's own figure averages over a fixed 10 s, too low at the start). */
class SpeedMeter {
  private samples: { t: number; bytes: number }[] = [];
  add(bytes: number): number {
    const t = performance.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0]!.t > 3000) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (t - first.t) / 1000;
    return dt > 0.05 ? Math.max(0, (bytes - first.bytes) / dt) : 0;
  }
}

/** A SHA-256 in an ETag-like header (`"<64 hex>"`, possibly weak); null when it is something else (a git sha1, an opaque tag). */
function sha256In(value: string | null): string | null {
  const m = value?.trim().match(/^(?:W\/)?"?([0-9a-f]{64})"?$/i);
  return m ? m[1]!.toLowerCase() : null;
}
function intIn(value: string | null): number | null {
  const n = value === null ? NaN : Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/**
 * What the server publishes about the file beyond the transfer: Hugging Face answers a
 * resolve URL for an LFS file with `x-linked-size` and `x-linked-etag` (the SHA-256) on the
 * redirect, and some CDNs put the SHA-256 in the ETag. Redirects are followed by hand so
 * those headers are seen. Failures mean "nothing published", never a failed download.
 */
async function probePublished(url: string): Promise<{ sizeBytes: number | null; sha256: string | null }> {
  let sizeBytes: number | null = null;
  let sha256: string | null = null;
  let current = url;
  try {
    for (let hop = 0; hop < 6; hop++) {
      const res = await fetch(current, { method: "HEAD", redirect: "manual", signal: AbortSignal.timeout(30_000) });
      sizeBytes ??= intIn(res.headers.get("x-linked-size"));
      sha256 ??= sha256In(res.headers.get("x-linked-etag"));
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).href;
        continue;
      }
      if (res.ok) sha256 ??= sha256In(res.headers.get("etag"));
      break;
    }
  } catch {
    // Nothing published that we could read; the size and header checks still run.
  }
  return { sizeBytes, sha256 };
}

/**
 * Bytes a later download will reuse: ipull appends its progress (JSON, chunk states, 2 =
 * complete) after `totalSize` bytes of the `.ipull` file and resumes from complete chunks only.
 */
async function resumableBytes(partialPath: string, totalSize: number): Promise<number> {
  if (totalSize <= 0) return 0;
  try {
    const handle = await open(partialPath, "r");
    try {
      const { size } = await handle.stat();
      if (size <= totalSize) return 0;
      const buf = Buffer.alloc(Math.min(size - totalSize, 1 << 20));
      await handle.read(buf, 0, buf.length, totalSize);
      const progress = JSON.parse(buf.toString("utf8")) as { chunks?: unknown; chunkSize?: unknown };
      if (!Array.isArray(progress.chunks) || typeof progress.chunkSize !== "number") return 0;
      return Math.min(totalSize, progress.chunks.filter((c) => c === 2).length * progress.chunkSize);
    } finally {
      await handle.close();
    }
  } catch {
    return 0;
  }
}

/**
 * Fails fast when the host cannot be reached at all: ipull retries a refused connection
 * ~150 times with backoff (minutes), which suits a flaky link mid-download, not a wrong address.
 */
async function preflight(uri: string, hfEndpoint: string | undefined): Promise<void> {
  const base = /^https?:\/\//i.test(uri) ? uri : (hfEndpoint ?? process.env.MODEL_ENDPOINT ?? process.env.HF_ENDPOINT ?? "https://huggingface.co/");
  let origin: string;
  try {
    origin = new URL(base).origin;
  } catch {
    return;
  }
  try {
    await fetch(origin, { method: "HEAD", redirect: "manual", signal: AbortSignal.timeout(20_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`Cannot reach ${origin} (${cause?.code ?? cause?.message ?? (err as Error).message}); check the address and the network`);
  }
}

/** ipull's and node-llama-cpp's messages, reworded to say what happened to the user's download. */
function explain(err: unknown, uri: string): string {
  const e = err as { message?: string; statusCode?: number; statusText?: string; url?: string };
  if (typeof e.statusCode === "number") {
    const what = e.statusCode === 404 ? "no such file" : e.statusCode === 401 || e.statusCode === 403 ? "access denied (a gated or private file?)" : "the server refused";
    return `HTTP ${e.statusCode} ${e.statusText ?? ""}`.trim() + ` from ${e.url ?? uri}: ${what}`;
  }
  const message = e.message ?? String(err);
  const length = message.match(/^Expected (\d+) bytes, but got (\d+) bytes/);
  if (length) return `Size mismatch: the server announced ${length[1]} bytes for a range but sent ${length[2]}`;
  return message;
}

async function run(msg: Extract<ClientToWorker, { type: "start" }>): Promise<void> {
  const job: Job = { cancelled: false, downloader: null };
  jobs.set(msg.id, job);
  const meter = new SpeedMeter();
  let lastSent = 0;
  let pending: WorkerToClient | null = null;
  let trailing: ReturnType<typeof setTimeout> | null = null;
  /** At most one progress message per 100 ms, the latest one always sent in the end (a stalled transfer still shows where it stands). */
  const report = (message: WorkerToClient) => {
    pending = message;
    const wait = 100 - (performance.now() - lastSent);
    if (wait <= 0) {
      if (trailing) clearTimeout(trailing);
      trailing = null;
      lastSent = performance.now();
      pending = null;
      send(message);
    } else {
      trailing ??= setTimeout(() => {
        trailing = null;
        if (pending) report(pending);
      }, wait);
    }
  };
  let last: { totalSize: number; downloadedSize: number; at: number } | null = null;
  // ipull reports nothing while a transfer stalls; re-report each second so the speed falls to 0 and the ETA clears.
  const heartbeat = setInterval(() => {
    if (!last || performance.now() - last.at < 1000) return;
    const speed = meter.add(last.downloadedSize);
    report({
      type: "progress",
      id: msg.id,
      doneBytes: last.downloadedSize,
      totalBytes: last.totalSize > 0 ? last.totalSize : null,
      bytesPerSecond: speed,
      etaSeconds: speed > 0 && last.totalSize > 0 ? Math.max(0, (last.totalSize - last.downloadedSize) / speed) : null,
    });
  }, 1000);
  const flush = () => {
    clearInterval(heartbeat);
    if (trailing) clearTimeout(trailing);
    trailing = null;
    if (pending) send(pending);
    pending = null;
  };
  try {
    await preflight(msg.uri, msg.hfEndpoint);
    const downloader = await createModelDownloader({
      modelUri: msg.uri,
      dirPath: msg.dirPath,
      ...(msg.fileName ? { fileName: msg.fileName } : {}),
      ...(msg.hfEndpoint ? { endpoints: { huggingFace: msg.hfEndpoint } } : {}),
      showCliProgress: false,
      deleteTempFileOnCancel: false,
      skipExisting: true,
      onProgress: ({ totalSize, downloadedSize }) => {
        last = { totalSize, downloadedSize, at: performance.now() };
        const speed = meter.add(downloadedSize);
        report({
          type: "progress",
          id: msg.id,
          doneBytes: downloadedSize,
          totalBytes: totalSize > 0 ? totalSize : null,
          bytesPerSecond: speed,
          etaSeconds: speed > 0 && totalSize > 0 ? Math.max(0, (totalSize - downloadedSize) / speed) : null,
        });
      },
    });
    job.downloader = downloader;
    const partialPath = `${downloader.entrypointFilePath}.ipull`;
    const resumedFromBytes = downloader.downloadedSize;
    // ipull skips a complete file of the same name and size, but would overwrite one of another size: refuse that.
    const existing = await stat(downloader.entrypointFilePath).catch(() => null);
    const preexisting = existing !== null && downloader.totalSize > 0 && existing.size === downloader.totalSize && resumedFromBytes >= downloader.totalSize;
    if (existing && !preexisting) {
      throw new Error(`A different file named ${downloader.entrypointFilename} is already in the models folder; delete it or download under another file name`);
    }
    // The resolved URL is internal to node-llama-cpp 3.21.1 (pinned); without it nothing is probed.
    const resolvedUrl = (downloader as unknown as { _modelUrl?: unknown })._modelUrl;
    const published = typeof resolvedUrl === "string" && /^https?:/i.test(resolvedUrl) ? probePublished(resolvedUrl) : null;
    if (!job.cancelled) {
      send({ type: "progress", id: msg.id, doneBytes: resumedFromBytes, totalBytes: downloader.totalSize || null, bytesPerSecond: 0, etaSeconds: null });
      await downloader.download();
    }
    flush();
    if (job.cancelled) {
      send({ type: "cancelled", id: msg.id, partialBytes: await resumableBytes(partialPath, downloader.totalSize) });
      return;
    }
    send({
      type: "done",
      id: msg.id,
      path: downloader.entrypointFilePath,
      transferSizeBytes: downloader.totalSize > 0 ? downloader.totalSize : null,
      published: (await published) ?? { sizeBytes: null, sha256: null },
      resumedFromBytes: preexisting ? 0 : resumedFromBytes,
      preexisting,
    });
  } catch (err) {
    flush();
    if (job.cancelled) send({ type: "cancelled", id: msg.id, partialBytes: 0 });
    else send({ type: "failed", id: msg.id, message: explain(err, msg.uri) });
  } finally {
    clearInterval(heartbeat);
    jobs.delete(msg.id);
  }
}

channel.onMessage((raw) => {
  const parsed = clientToWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(`download worker: ignored an invalid message: ${parsed.error.message}\n`);
    return;
  }
  const msg = parsed.data;
  if (msg.type === "start") void run(msg);
  else {
    const job = jobs.get(msg.id);
    if (!job || job.cancelled) return;
    job.cancelled = true;
    // download() returns once ipull has closed; the partial `.ipull` file stays for a resume.
    void job.downloader?.cancel({ deleteTempFile: false });
  }
});

send({ type: "ready", pid: process.pid });

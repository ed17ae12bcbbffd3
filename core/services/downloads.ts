// The download half of the `models` domain: fetches GGUF files into the models folder
// through a DownloadPort (engine/download/DownloadClient.ts, a process of its own so a
// download outlives engine restarts), then checks size, published SHA-256 and the GGUF
// header before the file joins the catalog; also deleting a model's file and the curated
// starter list. core/services/handlers.ts merges these into the `models` handlers.
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { DownloadDonePacket, DownloadProgressPacket, modelDownloadMethods } from "../api/models.ts";
import type { DataPaths } from "../api/system.ts";
import type { AdapterStore, ModelStore } from "../history/ports.ts";
import { withReports } from "../util/AsyncQueue.ts";
import { curatedModels } from "./curatedModels.ts";
import type { EngineSessions } from "./EngineSessions.ts";
import type { FilesPort } from "./files.ts";
import { requireModel } from "./lookup.ts";
import { inspectGgufFile } from "./modelFiles.ts";

/** One progress report from the port. */
export interface DownloadProgress {
  /** Bytes on disk so far, counting a resumed part. */
  doneBytes: number;
  /** Bytes in all; null when the server did not say. */
  totalBytes: number | null;
  /** Bytes per second lately; 0 before the first bytes. */
  bytesPerSecond: number;
  /** Seconds left at this speed; null when unknown. */
  etaSeconds: number | null;
}

/** What to download. */
export interface DownloadRequest {
  /** The URI, already checked by `checkDownloadUri`. */
  uri: string;
  /** Folder the file goes into (the models folder). */
  dirPath: string;
  /** File name inside dirPath. Default: the name the URI resolves to. */
  fileName?: string;
}

/** A finished transfer, not yet checked. */
export interface DownloadedFile {
  /** Absolute path of the complete file. */
  path: string;
  /** Size the transfer announced (Content-Length / Content-Range); null when unknown. */
  transferSizeBytes: number | null;
  /** What the server published about the file apart from the transfer (Hugging Face: x-linked-size, x-linked-etag). */
  published: {
    /** Published size in bytes; null when none. */
    sizeBytes: number | null;
    /** Published SHA-256 (lower-case hex); null when none. */
    sha256: string | null;
  };
  /** Bytes an earlier cancelled download had left on disk and this one reused (0 = fresh). */
  resumedFromBytes: number;
  /** The complete file was already in the folder (same name and size), so nothing was transferred; failed checks leave it in place. */
  preexisting: boolean;
}

/** Thrown by a port when the caller cancelled; the partial file stays for a later resume. */
export class DownloadCancelledError extends Error {
  override name = "DownloadCancelledError";
  readonly code = "cancelled";
  constructor(
    /** Bytes kept on disk for a resume. */
    readonly partialBytes: number,
  ) {
    super(`download cancelled with ${partialBytes} bytes kept`);
  }
}

/** Moves bytes from the network to disk. engine/download/DownloadClient.ts implements it. */
export interface DownloadPort {
  /** Downloads, reporting progress; rejects with DownloadCancelledError when `signal` aborts. */
  download(
    request: DownloadRequest,
    options: { signal: AbortSignal; onProgress: (p: DownloadProgress) => void },
  ): Promise<DownloadedFile>;
  /** Deletes a file inside the models or adapters folder; false when there was none. */
  remove(path: string): Promise<boolean>;
  /** Moves a file (a downloaded adapter into the adapters folder), replacing the target. */
  move(from: string, to: string): Promise<void>;
}

export interface DownloadsDeps {
  models: ModelStore;
  adapters: AdapterStore;
  sessions: EngineSessions;
  files: FilesPort;
  paths: DataPaths;
  /** The download process; null where the shell has none (calls answer `unavailable`). */
  downloads: DownloadPort | null;
}

const loopbackHttp = /^http:\/\/(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?(?:\/|$)/i;
const hfUri = /^(?:hf|huggingface):(?:\/\/)?[\w.-]+\/[\w.-]+(?::[\w.-]+|\/[^\s#?]+\.gguf(?:#[\w./-]+)?)?$/i;

/**
 * Checks a download URI and returns it trimmed: `hf:org/repo[:QUANT]`, `hf:org/repo/path/file.gguf[#branch]`,
 * an https URL, or plain http only to a loopback host (a local mirror or test server).
 */
export function checkDownloadUri(raw: string): string {
  const uri = raw.trim();
  if (hfUri.test(uri)) return uri;
  if (/^https:\/\/[^\s/?#]+[^\s]*$/i.test(uri)) return uri;
  if (/^http:\/\//i.test(uri)) {
    if (loopbackHttp.test(uri)) return uri;
    throw new ApiError("invalid_input", `Plain http is allowed only for loopback hosts (a local mirror); use https for ${uri}`);
  }
  throw new ApiError(
    "invalid_input",
    `Not a download URI: ${uri}. Use hf:org/repo:Q4_K_M, hf:org/repo/file.gguf or an https:// URL.`,
  );
}

/** Whether `path` lies strictly inside `root` (no `.`/`..` segments; separator taken from root). */
export function isInsideFolder(root: string, path: string): boolean {
  const sep = root.includes("\\") && !root.includes("/") ? "\\" : "/";
  const base = root.replace(/[\\/]+$/, "");
  if (!path.startsWith(base + sep) || path.length <= base.length + 1) return false;
  return !path.slice(base.length + 1).split(/[\\/]/).some((s) => s === ".." || s === "." || s === "");
}

const mb = (n: number) => `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)} MB`;

export function downloadsHandlers(deps: DownloadsDeps): DomainHandlers<typeof modelDownloadMethods> {
  const { files, paths } = deps;
  /** Downloads running now, by URI: a second download of the same file would fight over its partial file. */
  const active = new Map<string, { signal: AbortSignal; settled: Promise<void> }>();
  const port = (): DownloadPort => {
    if (!deps.downloads) throw new ApiError("unavailable", "Downloads are not available in this shell.");
    return deps.downloads;
  };

  /** Deletes a bad download (never a file that was there before) and fails with why. */
  async function reject(file: DownloadedFile, reason: string, message: string): Promise<never> {
    const { path } = file;
    if (file.preexisting) {
      throw new ApiError("invalid_input", `${message} It was already in the models folder under this name and was left in place.`, { reason, path });
    }
    await port().remove(path).catch(() => false);
    throw new ApiError("invalid_input", `${message} The file was deleted.`, { reason, path });
  }

  async function verifyAndAdd(uri: string, file: DownloadedFile, signal: AbortSignal): Promise<DownloadDonePacket> {
    const { path } = file;
    const size = await files.size(path);
    if (size === null) throw new ApiError("internal", `The download finished but ${path} is missing.`);
    if (file.transferSizeBytes !== null && size !== file.transferSizeBytes) {
      await reject(file, "size-mismatch", `Size mismatch: the server announced ${file.transferSizeBytes} bytes but ${size} arrived.`);
    }
    if (file.published.sizeBytes !== null && size !== file.published.sizeBytes) {
      await reject(file, "size-mismatch", `Size mismatch: the server published ${file.published.sizeBytes} bytes for this file but ${size} arrived.`);
    }
    const sha256 = await files.sha256(path, signal);
    if (file.published.sha256 !== null && sha256 !== file.published.sha256) {
      await reject(file, "sha256-mismatch", `SHA-256 mismatch: the server published ${file.published.sha256} but the file hashes to ${sha256}.`);
    }
    const inspected = await inspectGgufFile(files, path);
    if (inspected.kind === "invalid") {
      await reject(file, "invalid-gguf", `${files.basename(path)} is not a usable GGUF file: ${inspected.problem}.`);
    }
    const metadata = { ...inspected.metadata, source: uri };
    const fallbackName = files.basename(path).replace(/\.gguf$/i, "");
    const name = typeof inspected.metadata.name === "string" && inspected.metadata.name ? inspected.metadata.name : fallbackName;
    const common = { resumedFromBytes: file.resumedFromBytes, sha256Verified: file.published.sha256 !== null };
    if (inspected.kind === "adapter") {
      const target = files.join(paths.adapters, files.basename(path));
      await port().move(path, target);
      const adapter = await deps.adapters.upsertAdapter({ filePath: target, name, sha256, metadata, tags: ["downloaded"] });
      return { type: "done", kind: "adapter", adapter, path: target, ...common };
    }
    const model = await deps.models.upsertModel({ filePath: path, name, sha256, sizeBytes: size, metadata });
    return { type: "done", kind: "model", model, path, ...common };
  }

  return {
    async *download(input, ctx) {
      const downloads = port();
      const uri = checkDownloadUri(input.uri);
      const running = active.get(uri);
      // A cancelled download is still closing its partial file; a resume waits for it rather than fail.
      if (running && !running.signal.aborted) throw new ApiError("conflict", `${uri} is already downloading.`);
      if (running) await running.settled;
      if (active.has(uri)) throw new ApiError("conflict", `${uri} is already downloading.`);
      let settle!: () => void;
      active.set(uri, { signal: ctx.signal, settled: new Promise<void>((ok) => (settle = ok)) });
      try {
        let file: DownloadedFile;
        try {
          file = yield* withReports<DownloadProgressPacket, DownloadedFile>((report) =>
            downloads.download(
              { uri, dirPath: paths.models, ...(input.fileName ? { fileName: input.fileName } : {}) },
              {
                signal: ctx.signal,
                onProgress: (p) =>
                  report({
                    type: "progress",
                    done: p.doneBytes,
                    ...(p.totalBytes !== null ? { total: p.totalBytes } : {}),
                    label: p.totalBytes !== null ? `${mb(p.doneBytes)} of ${mb(p.totalBytes)}` : mb(p.doneBytes),
                    bytesPerSecond: p.bytesPerSecond,
                    etaSeconds: p.etaSeconds,
                  }),
              },
            ),
          );
        } catch (err) {
          if (err instanceof DownloadCancelledError) {
            throw new ApiError(
              "cancelled",
              `Download cancelled; ${mb(err.partialBytes)} kept. Download the same URI again to resume.`,
              { partialBytes: err.partialBytes },
            );
          }
          if (err instanceof ApiError) throw err;
          throw new ApiError("unavailable", `Download of ${uri} failed: ${(err as Error).message}`);
        }
        yield await verifyAndAdd(uri, file, ctx.signal);
      } finally {
        active.delete(uri);
        settle();
      }
    },
    async deleteFile(input) {
      const record = await requireModel(deps.models, input.id);
      if (!isInsideFolder(paths.models, record.filePath)) {
        throw new ApiError(
          "invalid_input",
          `${record.filePath} is outside the models folder (${paths.models}); Lathe deletes only files it keeps. Remove it from the catalog instead.`,
        );
      }
      const downloads = port();
      await deps.sessions.unload(record.id).catch(() => false);
      const deleted = await downloads.remove(record.filePath);
      await deps.models.removeModel(record.id);
      return { deleted, path: record.filePath };
    },
    curated: () => ({ models: curatedModels.map((m) => ({ ...m })) }),
  };
}

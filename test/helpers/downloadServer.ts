// A local HTTP file server for download tests (loopback only, nothing touches the real
// network): serves in-memory files with Range support, answers like the Hugging Face hub
// (model manifests, `resolve` URLs redirecting to a CDN path with x-linked-size and
// x-linked-etag), records every request, and misbehaves on demand: drops a connection
// mid-range, stalls ranges, lies about sizes or hashes.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ggufChunks, type GgufSpec } from "../../core/gguf/writer.ts";
import { GgmlType } from "../../core/gguf/types.ts";
import { successorModelSpec } from "../../core/fixtures/successor.ts";

/** How one served file behaves. */
export interface ServedFile {
  bytes: Uint8Array;
  /** Size the hub publishes (x-linked-size). Default: the real size. */
  publishedSize?: number;
  /** SHA-256 the hub publishes (x-linked-etag). Default: the real hash; null = publish none. */
  publishedSha256?: string | null;
  /** Content-Length claimed for a request without Range (a lying server). Default: the real size. */
  claimedLength?: number;
  /** Drop the connection once after this many bytes of the range starting at `rangeStart`. */
  dropOnce?: { rangeStart: number; afterBytes: number };
  /** Ranges starting at or after this offset send `stallAfterBytes` then hang until `release()`. */
  stallFrom?: number;
}

/** One request the server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Start of the Range header, null without one. */
  rangeStart: number | null;
}

export interface DownloadServer {
  /** http://127.0.0.1:<port>: a plain file host (/files/<name>). */
  origin: string;
  /**
   * http://localhost:<port>: the same server as the hub endpoint. A different host name on
   * purpose: node-llama-cpp treats every URL on the hub's host as a hub URL.
   */
  hubOrigin: string;
  /** Served files by name (mutable: tests change behaviour between downloads). */
  files: Map<string, ServedFile>;
  /** Model manifests: "org/repo:TAG" -> file name, as the hub's /v2/.../manifests/TAG answers. */
  manifests: Map<string, string>;
  requests: SeenRequest[];
  /** Ends every stalled response (with a dropped connection). */
  release(): void;
  close(): Promise<void>;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** Bytes of a GGUF spec in one buffer. */
export function ggufBytes(spec: GgufSpec): Uint8Array {
  const { totalSize, chunks } = ggufChunks(spec);
  const out = new Uint8Array(totalSize);
  let at = 0;
  for (const c of chunks()) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A valid model of ~12 MB: the successor fixture plus a zero padding tensor, so the file spans
 * three of ipull's 5 MiB chunks (resume works at chunk granularity).
 */
export function bigModelBytes(): Uint8Array {
  const spec = successorModelSpec();
  return ggufBytes({
    metadata: spec.metadata,
    tensors: [...spec.tensors, { name: "test.padding", dims: [1024, 3000], type: GgmlType.F32, data: new Float32Array(1024 * 3000) }],
  });
}

export async function startDownloadServer(): Promise<DownloadServer> {
  const files = new Map<string, ServedFile>();
  const manifests = new Map<string, string>();
  const requests: SeenRequest[] = [];
  const stalled = new Set<ServerResponse>();

  function serveFile(req: IncomingMessage, res: ServerResponse, name: string): void {
    const f = files.get(name);
    if (!f) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const size = f.bytes.length;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (m && start >= size) {
      res.writeHead(416, { "content-range": `bytes */${size}` }).end();
      return;
    }
    const headers: Record<string, string | number> = { "accept-ranges": "bytes", "content-type": "application/octet-stream", etag: `"${sha256Hex(f.bytes).slice(0, 16)}"` };
    if (m) {
      res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${size}`, "content-length": end - start + 1 });
    } else {
      res.writeHead(200, { ...headers, "content-length": f.claimedLength ?? size });
    }
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const body = f.bytes.subarray(start, end + 1);
    if (m && f.dropOnce && f.dropOnce.rangeStart === start) {
      const cut = f.dropOnce.afterBytes;
      f.dropOnce = undefined;
      res.write(body.subarray(0, cut), () => res.destroy());
      return;
    }
    if (m && f.stallFrom !== undefined && start >= f.stallFrom && start > 0) {
      stalled.add(res);
      res.write(body.subarray(0, 64 * 1024));
      return;
    }
    res.end(body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = /^bytes=(\d+)-/.exec(req.headers.range ?? "");
    requests.push({ method: req.method ?? "GET", path: url.pathname, rangeStart: m ? Number(m[1]) : null });
    // The hub's manifest API: GET /v2/<org>/<repo>/manifests/<tag>.
    const manifest = /^\/v2\/([^/]+)\/([^/]+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest) {
      const file = manifests.get(`${decodeURIComponent(manifest[1]!)}/${decodeURIComponent(manifest[2]!)}:${decodeURIComponent(manifest[3]!)}`);
      if (!file) res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ggufFile: { rfilename: file, size: files.get(file)?.bytes.length } }));
      return;
    }
    // The hub's resolve URL: a redirect to the CDN carrying the LFS size and SHA-256.
    const resolve = /^\/[^/]+\/[^/]+\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const name = decodeURIComponent(resolve[1]!);
      const f = files.get(name);
      if (!f) {
        res.writeHead(404).end("Entry not found");
        return;
      }
      const headers: Record<string, string | number> = { location: `/cdn/${encodeURIComponent(name)}`, "x-linked-size": f.publishedSize ?? f.bytes.length };
      const sha = f.publishedSha256 === undefined ? sha256Hex(f.bytes) : f.publishedSha256;
      if (sha !== null) headers["x-linked-etag"] = `"${sha}"`;
      res.writeHead(302, headers).end();
      return;
    }
    const direct = /^\/(?:cdn|files)\/(.+)$/.exec(url.pathname);
    if (direct) return serveFile(req, res, decodeURIComponent(direct[1]!));
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hubOrigin: `http://localhost:${port}`,
    files,
    manifests,
    requests,
    release() {
      for (const res of stalled) res.destroy();
      stalled.clear();
    },
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

// The data folder's files on node:fs: implements core's FilesPort (models and adapters
// folders, bounded GGUF header reads, atomic writes, streamed sha256). It sits in db/
// because db/ is the layer that owns what Lathe keeps on disk; both shells use it.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { FilesPort, FileEntry, FileReader } from "../core/services/files.ts";

export const nodeFiles: FilesPort = {
  async list(dir) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: FileEntry[] = [];
    for (const name of names.sort()) {
      const path = join(dir, name);
      const s = await stat(path).catch(() => null);
      if (s?.isFile()) out.push({ path, name, size: s.size });
    }
    return out;
  },
  async size(path) {
    const s = await stat(path).catch(() => null);
    return s?.isFile() ? s.size : null;
  },
  async open(path): Promise<FileReader> {
    const handle = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
      throw new Error(err.code === "ENOENT" ? `No such file: ${path}` : `Cannot read ${path}: ${err.message}`);
    });
    const { size } = await handle.stat();
    return {
      size,
      async readAt(offset, length) {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
      },
      close: () => handle.close(),
    };
  },
  async write(path, chunks, options = {}) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString("hex")}.partial`;
    const handle = await open(tmp, "w");
    let written = 0;
    try {
      for (const chunk of chunks) {
        options.signal?.throwIfAborted();
        await handle.write(chunk);
        written += chunk.length;
        options.onProgress?.(written);
      }
      await handle.sync();
      await handle.close();
      await rename(tmp, path);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
  },
  sha256(path, signal) {
    return new Promise((resolve, reject) => {
      const hash = createHash("sha256");
      const stream = createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
      stream.on("data", (d) => hash.update(d));
      stream.on("error", reject);
      stream.on("end", () => resolve(hash.digest("hex")));
    });
  },
  join: (...parts) => join(...parts),
  basename: (path) => basename(path),
};

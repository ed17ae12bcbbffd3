// The file-system port core services use for the data folder (listing the models
// folder, reading GGUF headers, writing the demo models, hashing). db/files.ts
// implements it on node:fs for both shells; unit tests can fake it.
import type { GgufReadAt } from "../gguf/header.ts";

/** A file in a folder listing. */
export interface FileEntry {
  /** Absolute path. */
  path: string;
  /** Base name. */
  name: string;
  /** Size in bytes. */
  size: number;
}

/** An open file for bounded reads (GGUF header checks). */
export interface FileReader {
  readAt: GgufReadAt;
  size: number;
  close(): Promise<void>;
}

export interface FilesPort {
  /** Regular files directly in `dir` (not recursive); [] when the folder does not exist. */
  list(dir: string): Promise<FileEntry[]>;
  /** Size in bytes, or null when there is no such file. */
  size(path: string): Promise<number | null>;
  /** Opens a file for bounded reads; rejects with a not-found message naming the path. */
  open(path: string): Promise<FileReader>;
  /**
   * Writes a file from chunks atomically (a temporary file renamed into place), calling
   * onProgress with bytes written; a cancelled write leaves no file behind.
   */
  write(
    path: string,
    chunks: Iterable<Uint8Array>,
    options?: { onProgress?: (bytes: number) => void; signal?: AbortSignal },
  ): Promise<void>;
  /** Hex sha256 of a file, streamed. */
  sha256(path: string, signal?: AbortSignal): Promise<string>;
  /** Joins path segments with the platform separator. */
  join(...parts: string[]): string;
  /** The last segment of a path. */
  basename(path: string): string;
}

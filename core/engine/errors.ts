// Typed engine errors. The host throws them, the protocol carries them as EngineErrorData,
// and the client rebuilds them, so shells and tests can branch on `code`/`reason`.
// `code` is one of core/api's ApiErrorCode values, so core/api's toApiErrorData passes it
// (and `details`, which holds llama.cpp's log lines) through to the UI unchanged.
import type { ApiErrorCode } from "../api/errors.ts";

/** What exactly went wrong, finer than `code`. */
export const engineErrorReasons = [
  /** The host process exited (crash, abort, kill); in-flight calls fail with this. */
  "engine_stopped",
  /** A model id that is not loaded (never was, was unloaded, or was lost in a restart). */
  "model_not_loaded",
  /** The GGUF header validator rejected the file before llama.cpp saw it. */
  "invalid_gguf",
  /** llama.cpp failed to load the model; `logs` holds its reason. */
  "load_failed",
  /** An adapter does not fit the loaded model (type, architecture or tensor shapes). */
  "adapter_mismatch",
  /** A prompt (or text to score) does not fit in the context; nothing was truncated. */
  "prompt_too_long",
  /** The requested GPU backend is not available on this machine. */
  "backend_unavailable",
  /** The caller cancelled. */
  "cancelled",
  /** Bad input the schema could not catch (e.g. a continuation that tokenizes to nothing). */
  "invalid_input",
  /** A file that does not exist or cannot be read. */
  "file_not_found",
  /** Anything else; `logs` may say more. */
  "internal",
  /** The backend (e.g. a remote provider) cannot do this call at all; the message names what is missing. */
  "unsupported",
  /** A remote provider could not be reached or answered with an error. */
  "remote_failed",
  /** A remote provider refused the API key (HTTP 401/403). */
  "remote_unauthorized",
] as const;
export type EngineErrorReason = (typeof engineErrorReasons)[number];

const codeOf: Record<EngineErrorReason, ApiErrorCode> = {
  engine_stopped: "engine_stopped",
  model_not_loaded: "not_found",
  invalid_gguf: "invalid_input",
  load_failed: "internal",
  adapter_mismatch: "invalid_input",
  prompt_too_long: "too_large",
  backend_unavailable: "unavailable",
  cancelled: "cancelled",
  invalid_input: "invalid_input",
  file_not_found: "not_found",
  internal: "internal",
  unsupported: "unavailable",
  remote_failed: "unavailable",
  remote_unauthorized: "unauthorized",
};

/** The JSON form of an engine error on the wire. */
export interface EngineErrorData {
  reason: EngineErrorReason;
  message: string;
  /** Last llama.cpp log lines (and host stderr) relevant to the failure, oldest first. */
  logs: string[];
}

/** Any failure reported by the engine. */
export class EngineError extends Error {
  override name = "EngineError";
  /** The API-level category (see core/api/errors.ts). */
  readonly code: ApiErrorCode;
  /** The engine-level cause. */
  readonly reason: EngineErrorReason;
  /** llama.cpp log lines that explain the failure (may be empty). */
  readonly logs: string[];
  constructor(reason: EngineErrorReason, message: string, logs: string[] = []) {
    super(message);
    this.reason = reason;
    this.code = codeOf[reason];
    this.logs = logs;
  }
  /** JSON details for core/api's error mapping. */
  get details(): { reason: EngineErrorReason; logs: string[] } {
    return { reason: this.reason, logs: this.logs };
  }
  toJSON(): EngineErrorData {
    return { reason: this.reason, message: this.message, logs: this.logs };
  }
  static from(data: EngineErrorData): EngineError {
    return data.reason === "engine_stopped"
      ? new EngineStoppedError(data.message, data.logs)
      : new EngineError(data.reason, data.message, data.logs);
  }
}

/** The host process stopped while a call was in flight. The next call starts a fresh host. */
export class EngineStoppedError extends EngineError {
  override name = "EngineStoppedError";
  constructor(message = "engine stopped", logs: string[] = []) {
    super("engine_stopped", message, logs);
  }
}

/** Wraps anything thrown into an EngineError (keeping EngineErrors as they are). */
export function toEngineError(err: unknown, logs: string[] = []): EngineError {
  if (err instanceof EngineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : "";
  if (name === "AbortError") return new EngineError("cancelled", message || "cancelled", logs);
  return new EngineError("internal", message, logs);
}

/** The message of an error followed by its log lines, for people. */
export function describeEngineError(err: EngineError): string {
  return err.logs.length ? `${err.message}\nllama.cpp said:\n  ${err.logs.join("\n  ")}` : err.message;
}

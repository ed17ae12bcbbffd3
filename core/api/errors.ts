// Typed errors that cross the API boundary. Every failure a caller can see has a code
// from ApiErrorCode, a human message saying what is wrong and where, and JSON details.
// Servers turn thrown errors into ApiErrorData; clients turn that back into ApiError.

/** Error codes a caller can branch on. */
export const apiErrorCodes = [
  "invalid_input",
  "unknown_method",
  "not_found",
  "conflict",
  "cancelled",
  "engine_stopped",
  "unavailable",
  "unauthorized",
  "too_large",
  "internal",
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

import type { z } from "zod";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The JSON form of an error on the wire. */
export interface ApiErrorData {
  /** Machine-readable category. */
  code: ApiErrorCode;
  /** What went wrong, for people; names the field, file or line at fault where known. */
  message: string;
  /** Structured extras, e.g. `{ issues: [{ path, message }] }` or llama.cpp log lines. */
  details?: JsonValue;
}

export class ApiError extends Error {
  override name = "ApiError";
  readonly code: ApiErrorCode;
  readonly details: JsonValue | undefined;
  constructor(code: ApiErrorCode, message: string, details?: JsonValue) {
    super(message);
    this.code = code;
    this.details = details;
  }
  toJSON(): ApiErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
  static from(data: ApiErrorData): ApiError {
    return new ApiError(data.code, data.message, data.details);
  }
}

function isCode(value: unknown): value is ApiErrorCode {
  return typeof value === "string" && (apiErrorCodes as readonly string[]).includes(value);
}

/**
 * Converts anything thrown by a handler into wire form. Errors from other layers keep
 * their message and pass their `code` through when it is an ApiErrorCode, and their
 * `details` when JSON-safe (engine errors carry llama.cpp's log lines that way).
 */
export function toApiErrorData(err: unknown): ApiErrorData {
  if (err instanceof ApiError) return err.toJSON();
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; details?: unknown; name?: unknown };
    const message = typeof e.message === "string" && e.message ? e.message : String(err);
    const code: ApiErrorCode = isCode(e.code) ? e.code : e.name === "AbortError" ? "cancelled" : "internal";
    const data: ApiErrorData = { code, message };
    if (e.details !== undefined) {
      try {
        data.details = JSON.parse(JSON.stringify(e.details)) as JsonValue;
      } catch {
        /* details that are not JSON-safe are dropped, the message still says what happened */
      }
    }
    return data;
  }
  return { code: "internal", message: String(err) };
}

/** The error a cancelled call rejects with. */
export function cancelledError(reason?: unknown): ApiError {
  const why = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "";
  return new ApiError("cancelled", why ? `Cancelled: ${why}` : "Cancelled");
}

/** A schema failure as `invalid_input`, naming each field: "Invalid input for m: a.b: expected string". */
export function invalidInputError(method: string, error: z.ZodError): ApiError {
  const issues = error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(input)", message: i.message }));
  const text = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return new ApiError("invalid_input", `Invalid input for ${method}: ${text}`, { issues });
}

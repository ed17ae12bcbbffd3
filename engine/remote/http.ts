// HTTP plumbing shared by the remote engine and the connection probe: URLs under a
// provider's base, bearer auth, JSON requests, server-sent-event parsing, and errors that
// name the provider and say what went wrong (unreachable, refused key, the server's own
// message). Used by engine/remote/RemoteEngine.ts and engine/remote/probe.ts.
import { EngineError } from "../../core/engine/errors.ts";
import type { ProviderConnection } from "../../core/services/providers.ts";

/** The URL of an API path ("/models", "/chat/completions") under the provider's base; "/v1" is added when the base lacks it. */
export function apiUrl(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return /\/v1$/i.test(base) ? `${base}${path}` : `${base}/v1${path}`;
}

/** Why fetch itself failed (no HTTP answer), for people. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? "";
  if (code === "ECONNREFUSED") return "connection refused: nothing is listening there";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return "the connection timed out";
  if (code === "ECONNRESET") return "the connection was reset";
  return cause?.message ?? (err as Error).message ?? String(err);
}

/** The error message of an OpenAI-style error body, or the body's start. */
function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const m = typeof body.error === "string" ? body.error : (body.error?.message ?? body.message ?? body.detail);
    if (typeof m === "string" && m) return m;
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 300) || "(empty body)";
}

/** Options of request(). */
export interface RemoteRequestOptions {
  /** "GET" or "POST". Default "POST" when a body is given, else "GET". */
  method?: "GET" | "POST";
  /** JSON body. */
  body?: unknown;
  signal?: AbortSignal;
  /** Gives up after this many ms (the probe); default none. */
  timeoutMs?: number;
}

/** Sends a request; rejects with an EngineError naming the provider unless the answer is 2xx. */
export async function request(provider: ProviderConnection, path: string, options: RemoteRequestOptions = {}): Promise<Response> {
  const url = apiUrl(provider.baseUrl, path);
  const headers: Record<string, string> = { Accept: "application/json, text/event-stream" };
  if (provider.apiKey) headers.Authorization = `Bearer ${provider.apiKey}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
  let res: Response;
  try {
    res = await fetch(url, {
      method: options.method ?? (options.body !== undefined ? "POST" : "GET"),
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(signals.length ? { signal: AbortSignal.any(signals) } : {}),
    });
  } catch (err) {
    if (options.signal?.aborted) throw new EngineError("cancelled", "cancelled");
    const timedOut = (err as Error).name === "TimeoutError";
    throw new EngineError("remote_failed", `Cannot reach ${provider.name} at ${url}: ${timedOut ? `no answer within ${options.timeoutMs} ms` : networkReason(err)}.`);
  }
  if (res.ok) return res;
  const text = await res.text().catch(() => "");
  if (res.status === 401 || res.status === 403) {
    throw new EngineError("remote_unauthorized", `${provider.name} refused the API key (HTTP ${res.status}): ${serverMessage(text)}`);
  }
  throw new EngineError("remote_failed", `${provider.name} answered HTTP ${res.status} to ${path}: ${serverMessage(text)}`);
}

/** Sends a request and parses the JSON answer. */
export async function requestJson<T>(provider: ProviderConnection, path: string, options: RemoteRequestOptions = {}): Promise<T> {
  const res = await request(provider, path, options);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new EngineError("remote_failed", `${provider.name} answered ${path} with something that is not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * The `data:` payloads of a server-sent-event stream, parsed as JSON, until `[DONE]` or the
 * end of the body. An `error` payload (llama-server, vLLM) rejects with its message.
 */
export async function* sseData(provider: ProviderConnection, res: Response): AsyncGenerator<Record<string, unknown>> {
  if (!res.body) throw new EngineError("remote_failed", `${provider.name} sent an empty stream.`);
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        if (line === "") {
          if (data.length) {
            const payload = data.join("\n");
            data = [];
            if (payload.trim() === "[DONE]") return;
            let obj: Record<string, unknown>;
            try {
              obj = JSON.parse(payload) as Record<string, unknown>;
            } catch {
              throw new EngineError("remote_failed", `${provider.name} sent an event that is not JSON: ${payload.slice(0, 200)}`);
            }
            if (obj.error) throw new EngineError("remote_failed", `${provider.name} failed mid-stream: ${serverMessage(JSON.stringify(obj))}`);
            yield obj;
          }
        } else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        // Other fields (event:, id:, retry:, comments) carry nothing the OpenAI stream needs.
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

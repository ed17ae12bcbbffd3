// The `providers` domain: remote OpenAI-compatible endpoints (llama-server, vLLM, Ollama,
// another Lathe) a user adds for chat and generation evaluation. A connection test lists
// the remote models and probes what the server can really do; API keys go in but only a
// masked form comes back. Served by core/services/providers.ts; used by the Settings panel.
import { z } from "zod";
import { unary } from "./rpc.ts";

const id = z.string().min(1).max(200);

/** One probed capability: whether it works, and what the probe saw (for people). */
export interface CapabilityProbe {
  /** The server did it when asked. */
  supported: boolean;
  /** What the probe sent and saw, or why it failed. */
  detail: string;
}

/** What a connection test found a server can do. */
export interface ProviderCapabilities {
  /** Streaming chat completions (SSE) with text deltas. */
  streaming: CapabilityProbe;
  /** Log-probabilities of generated tokens (`logprobs` on /chat/completions). */
  logprobs: CapabilityProbe;
  /** Log-probabilities of the prompt (`echo` + `logprobs` on /completions): needed for log-likelihood scoring (multiple choice, perplexity). */
  promptLogprobs: CapabilityProbe;
}

/** The result of the last connection test. */
export interface ProviderTest {
  /** When it ran (ms since epoch). */
  at: number;
  /** The model list came back. */
  ok: boolean;
  /** Why it failed, for people (unreachable, refused key...); null when ok. */
  error: string | null;
  /** Model ids the server lists at /v1/models. */
  models: string[];
  /** The model the capability probes used; null when none. */
  probedModel: string | null;
  /** Probe results; null when the model list failed. */
  capabilities: ProviderCapabilities | null;
  /** Round trip of the model list, ms. */
  latencyMs: number;
}

/** A remote model as the model picker shows it. */
export interface ProviderModel {
  /** Catalog id (a `models` row whose path is `remote://<provider>/<model>`). */
  catalogId: string;
  /** The model id on the server. */
  remoteModel: string;
  /** "<provider> / <model>". */
  label: string;
}

/** A provider as the renderer sees it: the key only masked. */
export interface Provider {
  id: string;
  /** Unique display name. */
  name: string;
  /** Base URL as entered (e.g. http://gpu-box:8000/v1); "/v1" is added for requests when missing. */
  baseUrl: string;
  /** The key with all but its last 4 characters hidden; null when there is none. */
  apiKeyMasked: string | null;
  /** Requests evaluation runs keep in flight at once (1..64). */
  concurrency: number;
  /** Last connection test; null until tested. */
  lastTest: ProviderTest | null;
  /** Its models in the catalog (from the last successful test). */
  models: ProviderModel[];
  createdAt: number;
  updatedAt: number;
}

/** Base URL: http(s) only, no query or fragment; trailing slashes are dropped. */
export const providerBaseUrlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine((s) => /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(s), { message: "must be an http:// or https:// URL without query or fragment" })
  .transform((s) => s.replace(/\/+$/, ""));

export const providerInputSchema = z.object({
  /** Unique display name (1-100 characters). */
  name: z.string().trim().min(1).max(100),
  /** Base URL of the OpenAI-compatible API. */
  baseUrl: providerBaseUrlSchema,
  /** Bearer key; omitted or empty = none. */
  apiKey: z.string().max(4096).optional(),
  /** Requests evaluation runs keep in flight. Default 1. */
  concurrency: z.number().int().min(1).max(64).default(1),
});
export type ProviderInput = z.output<typeof providerInputSchema>;

export const providerPatchSchema = z.object({
  id,
  name: z.string().trim().min(1).max(100).optional(),
  baseUrl: providerBaseUrlSchema.optional(),
  /** A new key; null or "" removes it; omitted keeps the stored one. */
  apiKey: z.string().max(4096).nullable().optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});
export type ProviderPatch = z.output<typeof providerPatchSchema>;

export const providersApi = {
  /** Providers by name, keys masked. */
  list: unary(z.object({})).returns<Provider[]>(),
  /** Adds a provider (not contacted until tested). */
  add: unary(providerInputSchema).returns<Provider>(),
  /** Changes name, URL, key or concurrency. */
  update: unary(providerPatchSchema).returns<Provider>(),
  /** Removes a provider and its models from the catalog (conversations keep the model's name). */
  remove: unary(z.object({ id })).returns<{ removed: boolean }>(),
  /**
   * Lists the server's models and probes streaming, logprobs and prompt logprobs with
   * `model` (default: the first listed); stores the result and puts the models in the catalog.
   */
  test: unary(z.object({ id, model: z.string().min(1).max(4096).optional() })).returns<Provider>(),
};

// ---------------------------------------------------------------- remote model naming

const remotePrefix = "remote://";

/** The catalog path of a remote model: remote://<providerId>/<url-encoded model>. */
export function remoteModelPath(providerId: string, model: string): string {
  return `${remotePrefix}${providerId}/${encodeURIComponent(model)}`;
}

/** Provider id and model of a remote catalog path; null for a file path. */
export function parseRemoteModelPath(path: string): { providerId: string; model: string } | null {
  if (!path.startsWith(remotePrefix)) return null;
  const rest = path.slice(remotePrefix.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  try {
    return { providerId: rest.slice(0, slash), model: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return null;
  }
}

/** Whether a catalog path names a remote model. */
export const isRemoteModelPath = (path: string): boolean => parseRemoteModelPath(path) !== null;

/** The engine handle of a loaded remote model: remote:<providerId>:<model>. */
export function remoteModelHandle(providerId: string, model: string): string {
  return `remote:${providerId}:${model}`;
}

/** The provider id of a remote engine handle; null for a local handle. */
export function providerOfHandle(handle: string): string | null {
  if (!handle.startsWith("remote:")) return null;
  const end = handle.indexOf(":", 7);
  return end > 7 ? handle.slice(7, end) : null;
}

/** A key with all but its last 4 characters hidden. */
export function maskApiKey(key: string | null): string | null {
  if (!key) return null;
  return key.length <= 8 ? "••••" : `••••${key.slice(-4)}`;
}

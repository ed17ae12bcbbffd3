// The engine port implemented over a separate host process: starts the host on first
// use, matches responses and streamed packets to calls by id, turns AbortSignals into
// cancel messages, and when the host dies rejects every call in flight with
// EngineStoppedError carrying the last llama.cpp log lines, then starts a fresh host on
// the next call (models must be loaded again; the stop event and status say which were
// lost). Used by both shells (server/, electron/) and by the engine tests and benchmarks.
import { EngineError, EngineStoppedError, type EngineErrorData } from "../../core/engine/errors.ts";
import type { Engine, EngineCallOptions, LoadModelCallOptions } from "../../core/engine/port.ts";
import { engineProtocolVersion, hostToClientSchema, type EngineMethod, type EngineMethodResults, type HostStatus } from "../../core/engine/protocol.ts";
import type {
  DetokenizeRequest,
  EngineEvent,
  EngineHostOptionsInput,
  EngineStatus,
  EngineStopInfo,
  GeneratePacket,
  GenerateRequest,
  KlDivergenceRequest,
  KlDivergenceResult,
  LoadModelOptionsInput,
  LoadProgress,
  LogLikelihoodRequest,
  LogLikelihoodResult,
  MemoryFitRequest,
  MemoryFitResult,
  ModelInfo,
  NextTokenDistribution,
  NextTokenDistributionRequest,
  PerplexityRequest,
  PerplexityResult,
  TokenInfo,
  TokenizeRequest,
  TokenProbabilities,
  TokenProbabilitiesRequest,
} from "../../core/engine/types.ts";
import { withReports } from "../../core/util/AsyncQueue.ts";
import { nodeHostLauncher, type HostLauncher, type HostProcess } from "./launcher.ts";

/** Options for EngineClient. */
export interface EngineClientOptions {
  /** Starts host processes. Default: nodeHostLauncher() (child_process, engine/host/main.ts through tsx). */
  launcher?: HostLauncher;
  /** llama.cpp settings for every host this client starts (gpu, threads, log level, context budget). Default: all defaults. */
  host?: EngineHostOptionsInput;
  /** libuv pool size in the host; 1 keeps each decode on the same thread, which generation prefers. Default 1. */
  uvThreadpoolSize?: number;
  /** Extra environment for the host process. Default {}. */
  env?: Record<string, string>;
  /** How many recent log lines an EngineStoppedError carries. Default 40. */
  stopLogLines?: number;
  /** Milliseconds to wait for a new host to become ready. Default 120000. */
  startTimeoutMs?: number;
}

interface PendingCall {
  method: EngineMethod;
  onPacket?: (packet: unknown) => void;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** One started host process and its calls. */
class HostConnection {
  readonly calls = new Map<number, PendingCall>();
  exited = false;
  expectedExit = false;
  ready: Promise<number>;
  private markReady!: (pid: number) => void;
  constructor(readonly proc: HostProcess) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }
  setReady(pid: number): void {
    this.markReady(pid);
  }
}

export class EngineClient implements Engine {
  private readonly launcher: HostLauncher;
  private conn: HostConnection | null = null;
  private starting: Promise<HostConnection> | null = null;
  private nextId = 1;
  private restarts = 0;
  private stopsSinceStart = 0;
  private lastStop: EngineStopInfo | null = null;
  private readonly recentLogs: string[] = [];
  private readonly loaded = new Map<string, string>(); // model id -> path, in the current host
  private readonly lost = new Map<string, string>(); // model ids lost in host stops
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private disposed = false;
  private stderrPartial = "";
  private hostOverride: EngineHostOptionsInput | null = null; // set by reconfigure()
  private plannedStopReason: string | null = null; // why reconfigure() stopped the host, for the stop event

  constructor(private readonly options: EngineClientOptions = {}) {
    this.launcher = options.launcher ?? nodeHostLauncher();
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: EngineEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        /* a listener's failure is not the engine's */
      }
    }
  }

  private remember(line: string): void {
    this.recentLogs.push(line);
    if (this.recentLogs.length > 400) this.recentLogs.splice(0, this.recentLogs.length - 400);
  }

  /** The host's pid, or null when none is running. */
  get pid(): number | null {
    return this.conn && !this.conn.exited ? (this.conn.proc.pid ?? null) : null;
  }

  // ------------------------------------------------------------ process management

  private ensureHost(): Promise<HostConnection> {
    if (this.disposed) return Promise.reject(new EngineStoppedError("engine disposed"));
    // A host being started is handed out only once it has answered init: startHost sets
    // `conn` early (to route the ready message), so check `starting` first.
    if (this.starting) return this.starting;
    if (this.conn && !this.conn.exited) return Promise.resolve(this.conn);
    const starting = this.startHost().finally(() => {
      this.starting = null;
    });
    this.starting = starting;
    return starting;
  }

  private async startHost(): Promise<HostConnection> {
    if (this.stopsSinceStart > 0) this.restarts++;
    this.stopsSinceStart = 0;
    const proc = this.launcher({ UV_THREADPOOL_SIZE: String(this.options.uvThreadpoolSize ?? 1), ...(this.options.env ?? {}) });
    const conn = new HostConnection(proc);
    this.conn = conn;
    proc.onMessage((raw) => this.onMessage(conn, raw));
    proc.onOutput((stream, text) => this.onOutput(stream, text));
    proc.onExit((code, signal) => this.onExit(conn, code, signal));
    const timeoutMs = this.options.startTimeoutMs ?? 120_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exitedEarly = new Promise<never>((_, reject) => {
      conn.calls.set(0, { method: "init", resolve: () => {}, reject });
    });
    try {
      await Promise.race([
        conn.ready,
        exitedEarly,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new EngineError("internal", `engine host did not start within ${timeoutMs} ms`, this.tail())), timeoutMs);
        }),
      ]);
      conn.calls.delete(0);
      await this.callOn(conn, "init", { protocol: engineProtocolVersion, options: this.hostOptions });
    } catch (err) {
      conn.calls.delete(0);
      conn.expectedExit = true;
      proc.kill();
      if (this.conn === conn) this.conn = null;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.emit({ type: "started", pid: proc.pid ?? null });
    return conn;
  }

  private tail(): string[] {
    return this.recentLogs.slice(-(this.options.stopLogLines ?? 40));
  }

  private onOutput(stream: "stdout" | "stderr", text: string): void {
    const lines = (this.stderrPartial + text).split("\n");
    this.stderrPartial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      this.remember(`[${stream}] ${line}`);
      this.emit({ type: "log", level: stream, text: line });
    }
  }

  private onMessage(conn: HostConnection, raw: unknown): void {
    const parsed = hostToClientSchema.safeParse(raw);
    if (!parsed.success) return;
    const msg = parsed.data;
    switch (msg.t) {
      case "ready":
        conn.setReady(msg.pid);
        return;
      case "log":
        this.remember(`[${msg.level}] ${msg.text}`);
        this.emit({ type: "log", level: msg.level, text: msg.text });
        return;
      case "packet":
        conn.calls.get(msg.id)?.onPacket?.(msg.packet);
        return;
      case "result": {
        const call = conn.calls.get(msg.id);
        conn.calls.delete(msg.id);
        call?.resolve(msg.value);
        return;
      }
      case "error": {
        const call = conn.calls.get(msg.id);
        conn.calls.delete(msg.id);
        call?.reject(EngineError.from(msg.error as EngineErrorData));
        return;
      }
    }
  }

  private onExit(conn: HostConnection, code: number | null, signal: string | null): void {
    conn.exited = true;
    if (this.stderrPartial.trim()) this.remember(`[stderr] ${this.stderrPartial}`);
    this.stderrPartial = "";
    if (this.conn === conn) this.conn = null;
    const reason = this.plannedStopReason ?? (signal ? `signal ${signal}` : `exit code ${code}`);
    this.plannedStopReason = null;
    const logs = this.tail();
    const calls = [...conn.calls.values()];
    conn.calls.clear();
    const message = `engine stopped (${reason})${conn.expectedExit ? "" : "; it will restart on the next call"}`;
    for (const c of calls) c.reject(new EngineStoppedError(message, logs));
    if (conn.expectedExit) return;
    this.stopsSinceStart++;
    const lostModels = [...this.loaded].map(([id, path]) => ({ id, path }));
    for (const m of lostModels) this.lost.set(m.id, m.path);
    this.loaded.clear();
    this.lastStop = { at: Date.now(), reason, lostModels, logs };
    this.emit({ type: "stopped", ...this.lastStop });
  }

  // ------------------------------------------------------------ calls

  private callOn<M extends EngineMethod>(conn: HostConnection, method: M, params: unknown, signal?: AbortSignal, onPacket?: (packet: unknown) => void): Promise<EngineMethodResults[M]> {
    return new Promise((resolve, reject) => {
      if (conn.exited) return reject(new EngineStoppedError("engine stopped", this.tail()));
      const id = this.nextId++;
      let onAbort: (() => void) | undefined;
      const settle = () => {
        if (onAbort) signal?.removeEventListener("abort", onAbort);
      };
      conn.calls.set(id, {
        method,
        onPacket,
        resolve: (v) => {
          settle();
          resolve(v as EngineMethodResults[M]);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      if (signal) {
        onAbort = () => {
          conn.proc.send({ t: "cancel", id });
          // Generation answers a cancel with its partial result; everything else stops waiting now.
          if (method !== "generate") {
            conn.calls.delete(id);
            settle();
            reject(new EngineError("cancelled", `${method} cancelled`));
          }
        };
        if (signal.aborted) {
          queueMicrotask(onAbort);
        } else signal.addEventListener("abort", onAbort, { once: true });
      }
      conn.proc.send({ t: "call", id, method, params });
    });
  }

  private async call<M extends EngineMethod>(method: M, params: unknown, signal?: AbortSignal, onPacket?: (packet: unknown) => void): Promise<EngineMethodResults[M]> {
    if (signal?.aborted) throw new EngineError("cancelled", `${method} cancelled`);
    const modelId = (params as { modelId?: unknown } | null)?.modelId;
    if (typeof modelId === "string" && this.lost.has(modelId)) {
      throw new EngineError("model_not_loaded", `model ${modelId} (${this.lost.get(modelId)}) was lost when the engine stopped; load it again`);
    }
    const conn = await this.ensureHost();
    return this.callOn(conn, method, params, signal, onPacket);
  }

  async status(options: EngineCallOptions = {}): Promise<EngineStatus> {
    const s: HostStatus = await this.call("status", {}, options.signal);
    return { ...s, running: true, pid: s.pid, restarts: this.restarts, lastStop: this.lastStop };
  }

  async loadModel(options: LoadModelOptionsInput, callOptions: LoadModelCallOptions = {}): Promise<ModelInfo> {
    const info = await this.call("loadModel", options, callOptions.signal, (p) => callOptions.onProgress?.(p as LoadProgress));
    this.loaded.set(info.id, info.path);
    this.lost.delete(info.id);
    return info;
  }

  async unloadModel(modelId: string, options: EngineCallOptions = {}): Promise<void> {
    await this.call("unloadModel", { modelId }, options.signal);
    this.loaded.delete(modelId);
  }

  async *generate(request: GenerateRequest, options: EngineCallOptions = {}): AsyncGenerator<GeneratePacket, void, void> {
    if (options.signal?.aborted) {
      // Cancelled before it started: the same ending a cancel mid-stream gives, with nothing generated.
      const timings = { ttftMs: 0, promptTokens: 0, cachedPromptTokens: 0, promptTokensPerS: 0, completionTokens: 0, tokensPerS: 0, totalMs: 0 };
      yield { type: "done", text: "", stopReason: "abort", seed: request.sampling?.seed ?? 0, tokens: [], timings };
      return;
    }
    // A consumer that stops iterating early cancels the generation too.
    const local = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
    let settled = false;
    try {
      const done = yield* withReports<GeneratePacket, GeneratePacket>(async (report) => {
        try {
          return await this.call("generate", request, signal, (p) => report(p as GeneratePacket));
        } finally {
          settled = true;
        }
      });
      yield done;
    } finally {
      if (!settled) local.abort();
    }
  }

  async tokenize(request: TokenizeRequest, options: EngineCallOptions = {}): Promise<TokenInfo[]> {
    return (await this.call("tokenize", request, options.signal)).tokens;
  }

  async detokenize(request: DetokenizeRequest, options: EngineCallOptions = {}): Promise<string> {
    return (await this.call("detokenize", request, options.signal)).text;
  }

  nextTokenDistribution(request: NextTokenDistributionRequest, options: EngineCallOptions = {}): Promise<NextTokenDistribution> {
    return this.call("nextTokenDistribution", request, options.signal);
  }

  tokenProbabilities(request: TokenProbabilitiesRequest, options: EngineCallOptions = {}): Promise<TokenProbabilities> {
    return this.call("tokenProbabilities", request, options.signal);
  }

  logLikelihood(request: LogLikelihoodRequest, options: EngineCallOptions = {}): Promise<LogLikelihoodResult> {
    return this.call("logLikelihood", request, options.signal);
  }

  perplexity(request: PerplexityRequest, options: EngineCallOptions = {}): Promise<PerplexityResult> {
    return this.call("perplexity", request, options.signal);
  }

  klDivergence(request: KlDivergenceRequest, options: EngineCallOptions = {}): Promise<KlDivergenceResult> {
    return this.call("klDivergence", request, options.signal);
  }

  memoryFit(request: MemoryFitRequest, options: EngineCallOptions = {}): Promise<MemoryFitResult> {
    return this.call("memoryFit", request, options.signal);
  }

  /** The llama.cpp settings the next host starts with (the constructor's, or the last reconfigure()). */
  get hostOptions(): EngineHostOptionsInput {
    return this.hostOverride ?? this.options.host ?? {};
  }

  /** Changes the host options (Settings: library, threads) and stops the running host, so the next call starts one with them; loaded models must be loaded again. */
  async reconfigure(host: EngineHostOptionsInput): Promise<void> {
    this.hostOverride = { ...host };
    if (this.conn && !this.conn.exited) this.plannedStopReason = "restarted with new settings (reconfigure)";
    await this.restart();
  }

  /** Kills the running host on purpose (tests and "restart engine" in Settings); the next call starts a new one. */
  async restart(): Promise<void> {
    const conn = this.conn;
    if (!conn || conn.exited) return;
    await new Promise<void>((resolve) => {
      conn.proc.onExit(() => resolve());
      conn.proc.kill();
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const conn = this.conn;
    if (!conn || conn.exited) return;
    conn.expectedExit = true;
    await new Promise<void>((resolve) => {
      conn.proc.onExit(() => resolve());
      conn.proc.kill();
    });
  }
}

// Entry of the engine host process (started by engine/client: child_process for `lathe
// serve`, Electron utilityProcess for the desktop app). Validates every message against
// core/engine/protocol.ts, dispatches calls to HostRuntime, streams packets, forwards
// llama.cpp log lines as they happen (so they survive a crash) and honours cancels.
import { PacketCoalescer } from "./coalesce.ts";
import { EngineError, toEngineError } from "../../core/engine/errors.ts";
import { clientToHostSchema, engineMethodSchemas, engineProtocolVersion, type EngineMethod, type HostToClient } from "../../core/engine/protocol.ts";
import { connectToParent } from "./channel.ts";
import { HostRuntime } from "./HostRuntime.ts";
import { LogBuffer } from "./LogBuffer.ts";

const channel = connectToParent();
const logs = new LogBuffer();
const inflight = new Map<number, AbortController>();
let runtime: HostRuntime | null = null;
let starting: Promise<HostRuntime> | null = null;

const send = (message: HostToClient) => channel.send(message);
const log = (level: string, text: string) => send({ t: "log", level, text });

// Stray rejections from library internals must not take every loaded model down with them.
process.on("unhandledRejection", (reason) => {
  const text = `unhandled rejection in engine host: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`;
  logs.push(`[error] ${text}`);
  log("error", text);
});
channel.onDisconnect(() => process.exit(0));

function requireRuntime(): HostRuntime {
  if (!runtime) throw new EngineError("internal", "engine host is not initialised (init must be the first call)");
  return runtime;
}

async function handle(id: number, method: EngineMethod, params: unknown, signal: AbortSignal): Promise<unknown> {
  const schema = engineMethodSchemas[method];
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(params)"}: ${i.message}`).join("; ");
    throw new EngineError("invalid_input", `invalid ${method} call: ${issues}`);
  }
  const p = parsed.data as never;
  switch (method) {
    case "init": {
      const init = parsed.data as { protocol: number; options: Parameters<typeof HostRuntime.create>[0] };
      if (init.protocol !== engineProtocolVersion) {
        throw new EngineError("internal", `engine protocol mismatch: client ${init.protocol}, host ${engineProtocolVersion}`);
      }
      if (!starting) starting = HostRuntime.create(init.options, logs, log);
      runtime = await starting;
      return runtime.status();
    }
    case "status":
      return requireRuntime().status();
    case "loadModel":
      return requireRuntime().loadModel(p, (progress) => send({ t: "packet", id, packet: progress }), signal);
    case "unloadModel":
      return requireRuntime().unloadModel((parsed.data as { modelId: string }).modelId);
    case "generate": {
      const gen = requireRuntime().generate(p, signal);
      const packets = new PacketCoalescer((packet) => send({ t: "packet", id, packet }));
      try {
        for (;;) {
          const next = await gen.next();
          if (next.done) return next.value;
          packets.push(next.value);
        }
      } finally {
        packets.flush(); // before the result or error
      }
    }
    case "tokenize":
      return requireRuntime().tokenize(p);
    case "detokenize":
      return requireRuntime().detokenize(p);
    case "nextTokenDistribution":
      return requireRuntime().nextTokenDistribution(p, signal);
    case "tokenProbabilities":
      return requireRuntime().tokenProbabilities(p, signal);
    case "logLikelihood":
      return requireRuntime().logLikelihood(p, signal);
    case "perplexity":
      return requireRuntime().perplexity(p, signal);
    case "klDivergence":
      return requireRuntime().klDivergence(p, signal);
    case "memoryFit":
      return requireRuntime().memoryFit(p, signal);
  }
}

async function run(id: number, method: string, params: unknown): Promise<void> {
  const controller = new AbortController();
  inflight.set(id, controller);
  try {
    if (!Object.hasOwn(engineMethodSchemas, method)) throw new EngineError("invalid_input", `unknown engine method "${method}"`);
    const value = await handle(id, method as EngineMethod, params, controller.signal);
    send({ t: "result", id, value: value ?? null });
  } catch (err) {
    const e = controller.signal.aborted && !(err instanceof EngineError) ? new EngineError("cancelled", "cancelled") : toEngineError(err);
    send({ t: "error", id, error: e.toJSON() });
  } finally {
    inflight.delete(id);
  }
}

channel.onMessage((raw) => {
  const msg = clientToHostSchema.safeParse(raw);
  if (!msg.success) {
    log("warn", `engine host ignored a malformed message: ${msg.error.issues[0]?.message ?? "invalid"}`);
    return;
  }
  if (msg.data.t === "cancel") inflight.get(msg.data.id)?.abort();
  else void run(msg.data.id, msg.data.method, msg.data.params);
});

send({ t: "ready", pid: process.pid });

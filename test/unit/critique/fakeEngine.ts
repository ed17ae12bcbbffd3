// A scripted fake of the engine port for critique tests: each generate() call is
// answered by a script function of the request (streamed as a few fragments, then one
// done packet), and every request is recorded. Only generate() is implemented.
import type { Engine } from "../../../core/engine/port.ts";
import type { ChatMessage, DonePacket, GeneratePacket, GenerateRequest } from "../../../core/engine/types.ts";

/** What a script sees of one call. */
export interface ScriptCall {
  /** 0-based number of the call. */
  n: number;
  messages: ChatMessage[];
  /** The last user message (what is being asked). */
  ask: string;
  request: GenerateRequest;
}

/** Answers a call; a thrown error fails the generation. */
export type Script = (call: ScriptCall) => string;

export interface FakeEngine extends Engine {
  calls: ScriptCall[];
}

/**
 * A fake engine answering with `script`; `onCall` runs before each answer (tests abort
 * there). A call for which `hold` is true streams its first half, then waits until its
 * signal aborts (a generation that is still running when the caller cancels).
 */
export function scriptedEngine(script: Script, onCall?: (call: ScriptCall) => void, hold?: (call: ScriptCall) => boolean): FakeEngine {
  const calls: ScriptCall[] = [];
  const unused = () => Promise.reject(new Error("not used by critique tests"));
  return {
    calls,
    async *generate(request, options): AsyncGenerator<GeneratePacket> {
      const prompt = request.prompt;
      if (prompt.kind !== "chat") throw new Error("critique generates chat prompts only");
      const messages = prompt.messages.map((m) => ({ role: m.role, content: m.content }));
      const call: ScriptCall = { n: calls.length, messages, ask: [...messages].reverse().find((m) => m.role === "user")?.content ?? "", request };
      calls.push(call);
      onCall?.(call);
      const text = script(call);
      const aborted = () => options?.signal?.aborted === true;
      let out = "";
      // Two fragments, so tests can see streaming.
      for (const piece of [text.slice(0, Math.ceil(text.length / 2)), text.slice(Math.ceil(text.length / 2))]) {
        if (aborted()) break;
        out += piece;
        yield { type: "fragment", text: piece, tokens: [] };
        if (hold?.(call) && options?.signal && !aborted()) {
          const signal = options.signal;
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        }
        await Promise.resolve();
      }
      const done: DonePacket = {
        type: "done",
        text: out,
        stopReason: aborted() ? "abort" : "eos",
        seed: (request.sampling as { seed?: number } | undefined)?.seed ?? 0,
        tokens: [],
        timings: { ttftMs: 1, promptTokens: 10, cachedPromptTokens: 0, promptTokensPerS: 100, completionTokens: out.length, tokensPerS: 50, totalMs: 2 },
      };
      yield done;
    },
    status: unused,
    loadModel: unused,
    unloadModel: unused,
    tokenize: unused,
    detokenize: unused,
    nextTokenDistribution: unused,
    tokenProbabilities: unused,
    logLikelihood: unused,
    perplexity: unused,
    klDivergence: unused,
    memoryFit: unused,
    onEvent: () => () => undefined,
    dispose: () => Promise.resolve(),
  };
}

/** Collects a generator's yields and its return value. */
export async function drain<Y, R>(gen: AsyncGenerator<Y, R>): Promise<{ events: Y[]; result: R }> {
  const events: Y[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { events, result: r.value };
    events.push(r.value);
  }
}

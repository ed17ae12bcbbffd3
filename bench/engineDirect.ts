// The baseline of the engine benchmark: a minimal node-llama-cpp script (LlamaCompletion on
// one sequence) in its own process, driven over IPC by bench/engine.bench.ts so its runs can
// be interleaved with the engine's. Measures time to first token and decode rate itself.
// Argv: <model path> <context size> <threads>.
import { getLlama, LlamaCompletion } from "node-llama-cpp";

const [modelPath, contextSize, threads] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, maxThreads: 0 });
const model = await llama.loadModel({ modelPath: modelPath! });
const context = await model.createContext({ contextSize: Number(contextSize), threads: Number(threads) });
const completion = new LlamaCompletion({ contextSequence: context.getSequence() });

/** One request from the benchmark. */
interface Request {
  prompt: string;
  maxTokens: number;
}

process.on("message", async (req: Request) => {
  const t0 = performance.now();
  let tFirst = 0;
  let tLast = 0;
  let tokens = 0;
  await completion.generateCompletion(req.prompt, {
    maxTokens: req.maxTokens,
    temperature: 0,
    onToken: (t) => {
      const now = performance.now();
      if (tokens === 0) tFirst = now;
      tLast = now;
      tokens += t.length;
    },
  });
  process.send!({ ttftMs: tFirst - t0, tokens, tokensPerS: tokens > 1 ? ((tokens - 1) / (tLast - tFirst)) * 1000 : 0 });
});
process.on("disconnect", () => process.exit(0));
process.send!({ ready: true });

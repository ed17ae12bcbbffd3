// Lathe's native entry points (engine/native/LatheExtensions.cpp in a local build).
// Logits: against node-llama-cpp's full probability maps on the prebuilt library, the same
// log-likelihoods, greedy flags, perplexities, token ranks and alternatives, and KL
// divergences, on the demo model and the successor with its +2 adapter; status says which
// path scoring uses. Generation: the native loop against node-llama-cpp's evaluate() on the
// same local build (LATHE_NATIVE_GENERATION=0), token for token, across sampling options,
// stops, cancel, context full, grammar and prefix reuse. The parity parts run only where a
// local build with the extensions exists (building one takes minutes: Settings > Build
// the engine for this machine, or docs/engine.md), so CI, which has none, checks the
// prebuilt side only, and that the C++ compiles against node-llama-cpp's addon headers and
// the llama.cpp headers of its bundle.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import { findLocalBuild, nodeLlamaCppDir } from "../../engine/build/localBuilds.ts";
import { extensionsSourcePath } from "../../engine/build/addonPatch.ts";
import { engineLocalBuildCmakeOptions, type AdapterRef, type GenerateRequest, type ModelInfo } from "../../core/engine/types.ts";
import { fixture } from "../helpers/fixtures.ts";
import { generateAll, testEngine } from "./engineTestUtils.ts";

/** True when the local build's addon carries this entry point (its name is in the binary). */
function localBuildHas(entryPoint: string): boolean {
  const local = findLocalBuild(engineLocalBuildCmakeOptions);
  if (!local) return false;
  for (const sub of ["Release", "."]) {
    try {
      return readFileSync(join(local.path, sub, "llama-addon.node")).includes(entryPoint);
    } catch {
      /* try the next folder */
    }
  }
  return false;
}
const native = localBuildHas("latheTokenScore");
const nativeLoop = localBuildHas("latheGenerate");

const plus2: AdapterRef[] = [{ path: fixture.successorPlus2, scale: 1 }];
const raw = (text: string) => ({ kind: "raw" as const, text });
const context = "The kitchen was warm and the bread";
const continuations = [" rose slowly", " was burnt", " sang", "."];
const text = "The kitchen was warm and the bread rose slowly in the oven while the kettle hummed.";

interface Side {
  engine: EngineClient;
  demo: ModelInfo;
  successor: ModelInfo;
}

async function side(library: "prebuilt" | "localBuild", env: Record<string, string> = {}): Promise<Side> {
  const engine = testEngine({ gpu: "cpu", library }, { env });
  const demo = await engine.loadModel({ path: fixture.demo, contextSize: 256 });
  const successor = await engine.loadModel({ path: fixture.successor, contextSize: 256 });
  return { engine, demo, successor };
}

let pre: Side;
let loc: Side | undefined;
/** The local build with the native generation loop turned off (node-llama-cpp's evaluate()). */
let locEval: Side | undefined;
beforeAll(async () => {
  pre = await side("prebuilt");
  if (native) {
    loc = await side("localBuild");
    locEval = await side("localBuild", { LATHE_NATIVE_GENERATION: "0" });
  }
});
afterAll(async () => {
  await pre?.engine.dispose();
  await loc?.engine.dispose();
  await locEval?.engine.dispose();
});

/** One generation on a side; its done packet and the text of its fragments. */
async function gen(s: Side, model: "demo" | "successor", request: Omit<GenerateRequest, "modelId">) {
  const { fragments, done } = await generateAll(s.engine, { ...request, modelId: s[model].id });
  return { done, streamed: fragments.map((f) => f.text).join(""), fragmentTokens: fragments.flatMap((f) => f.tokens) };
}

/** Generations on the native loop so far (status counter). */
async function nativeCount(s: Side): Promise<number> {
  return (await s.engine.status()).counters.nativeGenerations ?? 0;
}

const onPath = (name: string) => (process.env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, name)));
const nodeHeaders = join(dirname(dirname(process.execPath)), "include", "node");
const canCompile = process.platform !== "win32" && onPath("c++") && onPath("git") && existsSync(join(nodeHeaders, "node_api.h"));

describe("native logits", () => {
  it.runIf(canCompile)("LatheExtensions.cpp compiles against node-llama-cpp's addon headers and its bundled llama.cpp", () => {
    const pkg = nodeLlamaCppDir();
    let llamaCpp = join(pkg, "llama", "llama.cpp");
    const tmp = mkdtempSync(join(tmpdir(), "lathe-ext-"));
    try {
      if (!existsSync(join(llamaCpp, "include", "llama.h"))) {
        // A fresh install has only the git bundle: check out its headers.
        llamaCpp = join(tmp, "llama.cpp");
        execFileSync("git", ["clone", "--quiet", "--no-checkout", join(pkg, "llama", "gitRelease.bundle"), llamaCpp]);
        execFileSync("git", ["-C", llamaCpp, "checkout", "--quiet", "HEAD", "--", "include", "ggml/include", "common", "vendor"]);
      }
      const includes = [join(pkg, "llama", "addon"), join(llamaCpp, "include"), join(llamaCpp, "ggml", "include"), join(llamaCpp, "common"), join(llamaCpp, "vendor"), join(dirname(pkg), "node-addon-api"), nodeHeaders];
      const out = execFileSync("c++", ["-std=c++17", "-fsyntax-only", "-Wall", ...includes.flatMap((d) => ["-I", d]), extensionsSourcePath()], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect(out).toBe("");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);

  it("the prebuilt library has no native entry points: status says scoring reads full distributions", async () => {
    const s = await pre.engine.status();
    expect(s.buildType).toBe("prebuilt");
    expect(s.nativeLogits).toBe(false);
  });

  describe.runIf(native)("on the local build", () => {
    it("status says scoring reads the logits natively", async () => {
      const s = await loc!.engine.status();
      expect(s.buildType).toBe("localBuild");
      expect(s.nativeLogits).toBe(true);
    });

    it("log-likelihoods and greedy flags equal the prebuilt's full-distribution ones, shared-prefix and naive", async () => {
      for (const strategy of ["sharedPrefix", "naive"] as const) {
        const a = await pre.engine.logLikelihood({ modelId: pre.demo.id, context, continuations, strategy });
        const b = await loc!.engine.logLikelihood({ modelId: loc!.demo.id, context, continuations, strategy });
        expect(b.evaluatedTokens).toBe(a.evaluatedTokens);
        for (let i = 0; i < continuations.length; i++) {
          expect(b.results[i]!.tokens).toBe(a.results[i]!.tokens);
          expect(b.results[i]!.isGreedy).toBe(a.results[i]!.isGreedy);
          expect(b.results[i]!.logprob).toBeCloseTo(a.results[i]!.logprob, 4);
        }
      }
      // The successor's rule continuation is greedy, a wrong one is not.
      const s = await loc!.engine.logLikelihood({ modelId: loc!.successor.id, context: "abc", continuations: ["def", "dex"] });
      expect(s.results.map((x) => x.isGreedy)).toEqual([true, false]);
    });

    it("sliding-window perplexity equals the prebuilt's", async () => {
      for (const opts of [{}, { windowSize: 16, stride: 8 }]) {
        const a = await pre.engine.perplexity({ modelId: pre.demo.id, text, ...opts });
        const b = await loc!.engine.perplexity({ modelId: loc!.demo.id, text, ...opts });
        expect(b.tokens).toBe(a.tokens);
        expect(b.perplexity).toBeCloseTo(a.perplexity, 3);
      }
    });

    it("token probabilities: same ranks, probabilities and top alternatives", async () => {
      const req = { prompt: raw("The kitchen"), response: " was warm and the bread", topN: 3 };
      const a = await pre.engine.tokenProbabilities({ modelId: pre.demo.id, ...req });
      const b = await loc!.engine.tokenProbabilities({ modelId: loc!.demo.id, ...req });
      expect(b.tokens.length).toBe(a.tokens.length);
      for (let i = 0; i < a.tokens.length; i++) {
        const x = a.tokens[i]!;
        const y = b.tokens[i]!;
        expect(y.id).toBe(x.id);
        expect(y.rank).toBe(x.rank);
        expect(y.prob).toBeCloseTo(x.prob, 5);
        // Same probabilities in the same order; tokens of equal probability may swap places.
        expect(y.alternatives.length).toBe(x.alternatives.length);
        for (let k = 0; k < x.alternatives.length; k++) {
          const yp = y.alternatives[k]!.prob;
          expect(yp).toBeCloseTo(x.alternatives[k]!.prob, 5);
          const twin = x.alternatives.find((t) => t.id === y.alternatives[k]!.id);
          if (twin) expect(twin.prob).toBeCloseTo(yp, 5);
          else expect(yp).toBeCloseTo(x.alternatives.at(-1)!.prob, 5); // a tie at the cut
        }
      }
    });

    it("KL divergence between the base and +2 equals the prebuilt's, and KL(base, base) is 0", async () => {
      const t = "abcdefghij";
      const a = await pre.engine.klDivergence({ modelId: pre.successor.id, text: t, adaptersA: [], adaptersB: plus2 });
      const b = await loc!.engine.klDivergence({ modelId: loc!.successor.id, text: t, adaptersA: [], adaptersB: plus2 });
      expect(b.meanKl).toBeGreaterThan(5);
      expect(b.meanKl).toBeCloseTo(a.meanKl, 3);
      const same = await loc!.engine.klDivergence({ modelId: loc!.successor.id, text: t, adaptersA: [], adaptersB: [] });
      expect(same.meanKl).toBeLessThan(1e-9);
    });
  });

  describe.runIf(nativeLoop)("native generation loop on the local build", () => {
    const cases: { name: string; model: "demo" | "successor"; request: Omit<GenerateRequest, "modelId"> }[] = [
      { name: "greedy", model: "demo", request: { prompt: raw("The kitchen"), sampling: { temperature: 0, maxTokens: 40 } } },
      {
        name: "seeded sampling with top-k, top-p, min-p, XTC, DRY, penalties on newlines too, and a banned token",
        model: "demo",
        request: {
          prompt: raw("Once upon a time"),
          sampling: {
            temperature: 0.9,
            topK: 40,
            topP: 0.9,
            minP: 0.02,
            seed: 7,
            maxTokens: 48,
            xtc: { probability: 0.5, threshold: 0.1 },
            dry: { multiplier: 0.8 },
            repeatPenalty: { penalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.1, penalizeNewLine: true },
            tokenBias: [{ token: "e", logit: "never" }],
          },
        },
      },
      { name: "a stop string", model: "successor", request: { prompt: raw("abc"), sampling: { temperature: 0, maxTokens: 40, stopStrings: ["hij"] } } },
      { name: "a JSON schema", model: "successor", request: { prompt: raw("abc"), sampling: { temperature: 0, maxTokens: 60, jsonSchema: { type: "object", properties: { a: { type: "boolean" } } } } } },
      { name: "a full context", model: "successor", request: { prompt: raw("abcdefghij".repeat(24)), sampling: { temperature: 0, maxTokens: 1000 } } },
    ];
    for (const c of cases) {
      it(`equals evaluate() token for token: ${c.name}`, async () => {
        const before = await nativeCount(loc!);
        const a = await gen(locEval!, c.model, c.request);
        const b = await gen(loc!, c.model, c.request);
        expect(await nativeCount(loc!)).toBe(before + 1);
        expect(b.done.tokens).toEqual(a.done.tokens);
        expect(b.done.text).toBe(a.done.text);
        expect(b.done.stopReason).toBe(a.done.stopReason);
        expect(b.streamed).toBe(b.done.text);
        expect(b.fragmentTokens).toEqual(b.done.tokens);
        expect(b.done.tokens.length).toBeGreaterThan(0);
      });
    }

    it("a repeat penalty that skips newlines uses evaluate() (same output either way)", async () => {
      const request = { prompt: raw("The kitchen"), sampling: { temperature: 0.8, seed: 3, maxTokens: 24, repeatPenalty: { penalty: 1.3 } } };
      const before = await nativeCount(loc!);
      const b = await gen(loc!, "demo", request);
      expect(await nativeCount(loc!)).toBe(before);
      const a = await gen(locEval!, "demo", request);
      expect(b.done.tokens).toEqual(a.done.tokens);
    });

    it("cancel mid-stream keeps the partial text; the next turn reuses the cached prefix and matches evaluate()", async () => {
      const controller = new AbortController();
      let text = "";
      let done;
      // Fragments come at most one per 16 ms: cancel on the first, long before the context fills.
      const long = await loc!.engine.loadModel({ path: fixture.successor, contextSize: 4096 });
      for await (const p of loc!.engine.generate({ modelId: long.id, prompt: raw("a"), sampling: { temperature: 0, maxTokens: 100_000 } }, { signal: controller.signal })) {
        if (p.type === "fragment") {
          text += p.text;
          controller.abort();
        } else done = p;
      }
      expect(done?.stopReason).toBe("abort");
      expect(done!.text.length).toBeGreaterThanOrEqual(1);
      expect(done!.text.length).toBeLessThan(4000);
      expect(done!.text.startsWith(text)).toBe(true);
      // A second turn on the same sequence: prompt = first prompt + its answer + more.
      const next = { prompt: raw(`a${done!.text}xyz`), sampling: { temperature: 0, maxTokens: 12 } };
      const turn = async (engine: EngineClient, modelId: string) => (await generateAll(engine, { ...next, modelId })).done;
      const b = { done: await turn(loc!.engine, long.id) };
      expect(b.done.timings.cachedPromptTokens).toBeGreaterThan(done!.text.length - 2);
      const longEval = await locEval!.engine.loadModel({ path: fixture.successor, contextSize: 4096 });
      const a = { done: await turn(locEval!.engine, longEval.id) };
      await locEval!.engine.unloadModel(longEval.id);
      expect(b.done.tokens).toEqual(a.done.tokens);
      // And the same prompt again is served from the cache, with the same answer.
      const again = { done: await turn(loc!.engine, long.id) };
      await loc!.engine.unloadModel(long.id);
      expect(again.done.tokens).toEqual(b.done.tokens);
      expect(again.done.timings.cachedPromptTokens).toBe(again.done.timings.promptTokens - 1);
    });
  
    it("unloading the model mid-generation ends the stream with an error, and the engine keeps working", async () => {
      const m = await loc!.engine.loadModel({ path: fixture.successor, contextSize: 4096 });
      let tokens = 0;
      const err = await (async () => {
        for await (const p of loc!.engine.generate({ modelId: m.id, prompt: raw("a"), sampling: { temperature: 0, maxTokens: 100_000 } })) {
          if (p.type === "fragment" && tokens === 0) {
            tokens += p.tokens.length;
            await loc!.engine.unloadModel(m.id);
          }
        }
        return null;
      })().catch((e: unknown) => e);
      // The disposal ran between two chunks of the loop (both on the one libuv thread): the next
      // chunk saw it ("the context was disposed during generation"), or the host's loop did
      // when it detokenized the next tokens (node-llama-cpp's "Object is disposed").
      expect(String(err)).toMatch(/disposed/);
      expect(tokens).toBeGreaterThanOrEqual(1);
      expect((await loc!.engine.status()).running).toBe(true);
      const after = await gen(loc!, "successor", { prompt: raw("abc"), sampling: { temperature: 0, maxTokens: 5 } });
      expect(after.done.text).toBe("defgh");
    });
});
});

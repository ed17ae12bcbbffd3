// Lathe's native logits (engine/native/LatheExtensions.cpp in a local build) against
// node-llama-cpp's full probability maps on the prebuilt library: the same
// log-likelihoods, greedy flags, perplexities, token ranks and alternatives, and KL
// divergences, on the demo model and the successor with its +2 adapter. Status says which
// path scoring uses. The parity part runs only where a local build with the extensions
// exists (building one takes minutes: Settings > Build the engine for this machine, or
// docs/engine.md), so CI, which has none, checks the prebuilt side only, and that the C++
// compiles against node-llama-cpp's addon headers and the llama.cpp headers of its bundle.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineClient } from "../../engine/client/EngineClient.ts";
import { findLocalBuild, nodeLlamaCppDir } from "../../engine/build/localBuilds.ts";
import { extensionsSourcePath } from "../../engine/build/addonPatch.ts";
import { engineLocalBuildCmakeOptions, type AdapterRef, type ModelInfo } from "../../core/engine/types.ts";
import { fixture } from "../helpers/fixtures.ts";
import { testEngine } from "./engineTestUtils.ts";

/** True when the local build's addon carries the extensions (their names are in the binary). */
function localBuildHasExtensions(): boolean {
  const local = findLocalBuild(engineLocalBuildCmakeOptions);
  if (!local) return false;
  for (const sub of ["Release", "."]) {
    try {
      return readFileSync(join(local.path, sub, "llama-addon.node")).includes("latheTokenScore");
    } catch {
      /* try the next folder */
    }
  }
  return false;
}
const native = localBuildHasExtensions();

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

async function side(library: "prebuilt" | "localBuild"): Promise<Side> {
  const engine = testEngine({ gpu: "cpu", library });
  const demo = await engine.loadModel({ path: fixture.demo, contextSize: 256, sequences: 2 });
  const successor = await engine.loadModel({ path: fixture.successor, contextSize: 256 });
  return { engine, demo, successor };
}

let pre: Side;
let loc: Side | undefined;
beforeAll(async () => {
  pre = await side("prebuilt");
  if (native) loc = await side("localBuild");
});
afterAll(async () => {
  await pre?.engine.dispose();
  await loc?.engine.dispose();
});

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
});

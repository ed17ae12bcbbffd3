// The sampling config contract (core/sampling/config.ts): defaults, ranges and the chain
// order the engine documents. Pure schema checks; no model needed.
import { describe, expect, it } from "vitest";
import { defaultSamplingConfig, greedySamplingConfig, resolveSamplingConfig, samplerChainOrder, samplingConfigSchema } from "../../core/sampling/config.ts";

describe("sampling config", () => {
  it("fills every default, with penalties, DRY and XTC explicitly off", () => {
    expect(defaultSamplingConfig).toEqual({
      temperature: 0.8,
      topK: 40,
      topP: 0.95,
      minP: 0.05,
      repeatPenalty: { penalty: 1, frequencyPenalty: 0, presencePenalty: 0, lastTokens: 64, penalizeNewLine: false },
      dry: { multiplier: 0, base: 1.75, allowedLength: 2, lastTokens: null, sequenceBreakers: ["\n", ":", '"', "*"] },
      xtc: { probability: 0, threshold: 0.1 },
      tokenBias: [],
      maxTokens: 512,
      stopStrings: [],
    });
    expect(greedySamplingConfig.temperature).toBe(0);
    expect(resolveSamplingConfig({ repeatPenalty: { penalty: 1.2 } }).repeatPenalty).toEqual({ ...defaultSamplingConfig.repeatPenalty, penalty: 1.2 });
  });

  it("rejects out-of-range values and names the field", () => {
    const bad = [
      [{ temperature: -0.1 }, "temperature"],
      [{ topP: 1.5 }, "topP"],
      [{ topK: 2.5 }, "topK"],
      [{ seed: -1 }, "seed"],
      [{ repeatPenalty: { lastTokens: -1 } }, "repeatPenalty.lastTokens"],
      [{ tokenBias: [{ token: "a", logit: 0.5e3 }] }, "tokenBias.0.logit"],
      [{ tokenBias: [{ token: "a", logit: "sometimes" }] }, "tokenBias.0.logit"],
      [{ grammar: 'root ::= "a"', jsonSchema: { type: "string" } }, "jsonSchema"],
    ] as const;
    for (const [input, path] of bad) {
      const r = samplingConfigSchema.safeParse(input);
      expect(r.success, path).toBe(false);
      expect(r.error!.issues.map((i) => i.path.join(".")), path).toContain(path);
    }
  });

  it("documents the chain order llama.cpp applies", () => {
    expect(samplerChainOrder).toEqual(["tokenBias", "repeatPenalty", "dry", "topK", "topP", "minP", "xtc", "temperature", "dist"]);
  });
});

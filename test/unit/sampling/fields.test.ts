// Preset editing support: every field documented and present in the schema, validation
// naming the field at fault, dotted get/set, token bias lines, and the preset file format
// (round trip, and faults named by preset and field).
import { describe, expect, it } from "vitest";
import { defaultSamplingConfig, resolveSamplingConfig } from "../../../core/sampling/config.ts";
import { getField, linesToStrings, samplingFields, setField, stringsToLines, tokenBiasFromText, tokenBiasToText, validateSamplingConfig } from "../../../core/sampling/fields.ts";
import { exportPresetFile, parsePresetFile } from "../../../core/sampling/presetFile.ts";
import { builtinPresets } from "../../../core/sampling/presets.ts";

describe("sampling fields", () => {
  it("documents every config field the schema has, with ranges that the schema accepts", () => {
    const leafPaths = (o: Record<string, unknown>, pre = ""): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === "object" && !Array.isArray(v) ? leafPaths(v as Record<string, unknown>, `${pre}${k}.`) : [`${pre}${k}`],
      );
    const documented = samplingFields.map((f) => f.path).sort();
    const inSchema = [...leafPaths(defaultSamplingConfig), "seed", "grammar", "jsonSchema"].sort();
    expect(documented).toEqual(inSchema);
    for (const f of samplingFields) {
      expect(f.help.length).toBeGreaterThan(20);
      if (f.min === undefined || f.max === undefined) continue;
      expect(validateSamplingConfig(setField({}, f.path, f.min)).ok).toBe(true);
      expect(validateSamplingConfig(setField({}, f.path, f.max)).ok).toBe(true);
      const below = validateSamplingConfig(setField({}, f.path, f.min - 1));
      expect(below.ok ? null : Object.keys(below.errors)).toEqual([f.path]);
    }
  });

  it("names each field at fault", () => {
    const r = validateSamplingConfig({ temperature: -1, topP: 2, repeatPenalty: { lastTokens: 1.5 }, stopStrings: ["ok", ""] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(["repeatPenalty.lastTokens", "stopStrings", "temperature", "topP"]);
    const both = validateSamplingConfig({ grammar: "root ::= \"a\"", jsonSchema: {} });
    expect(both.ok ? null : both.errors).toEqual({ jsonSchema: "grammar and jsonSchema are mutually exclusive" });
  });

  it("gets and sets dotted paths without touching the original", () => {
    const a = { repeatPenalty: { penalty: 1.1 } };
    const b = setField(a, "repeatPenalty.lastTokens", 32);
    expect(getField(b, "repeatPenalty.lastTokens")).toBe(32);
    expect(getField(b, "repeatPenalty.penalty")).toBe(1.1);
    expect(a).toEqual({ repeatPenalty: { penalty: 1.1 } });
    expect(getField(setField(b, "repeatPenalty.penalty", undefined), "repeatPenalty.penalty")).toBeUndefined();
  });

  it("reads and writes token bias lines, naming a bad line", () => {
    const entries = tokenBiasFromText('42=-5\n"the"=never\n\nfoo=2.5');
    expect(entries).toEqual([
      { token: 42, logit: -5 },
      { token: "the", logit: "never" },
      { token: "foo", logit: 2.5 },
    ]);
    expect(tokenBiasFromText(tokenBiasToText(entries))).toEqual(entries);
    expect(() => tokenBiasFromText("1=2\nnope")).toThrow(/line 2/);
    expect(() => tokenBiasFromText("1=500")).toThrow(/line 1: .*-100 to 100/);
  });

  it("writes stop strings and DRY breakers as lines that keep newlines, quotes and spaces", () => {
    const breakers = ["\n", ":", '"', "*", " end", "a b"];
    expect(stringsToLines(breakers)).toBe('"\\n"\n:\n"\\""\n*\n" end"\na b');
    expect(linesToStrings(stringsToLines(breakers))).toEqual(breakers);
    expect(linesToStrings("###\n\nUser:")).toEqual(["###", "User:"]);
    expect(() => linesToStrings('ok\n"unclosed')).toThrow(/line 2/);
  });

  it("gives every builtin preset a reason for each value it sets", () => {
    for (const p of builtinPresets) {
      for (const key of Object.keys(p.config)) expect(p.reasons[key], `${p.name}.${key}`).toBeTruthy();
    }
  });
});

describe("preset files", () => {
  it("round-trips presets with every default filled in", () => {
    const json = exportPresetFile([{ name: "Mine", config: { temperature: 0.4 } }], 1000);
    const back = parsePresetFile(json);
    expect(back).toEqual([{ name: "Mine", config: resolveSamplingConfig({ temperature: 0.4 }) }]);
    expect(JSON.parse(json)).toMatchObject({ format: "lathe-presets", version: 1, exportedAt: 1000 });
  });

  it("names the preset and field at fault", () => {
    const file = (presets: unknown[]) => JSON.stringify({ format: "lathe-presets", version: 1, presets });
    expect(() => parsePresetFile("{")).toThrow(/Not JSON/);
    expect(() => parsePresetFile(JSON.stringify({ presets: [] }))).toThrow(/Not a Lathe preset file: format/);
    expect(() => parsePresetFile(file([{ name: "ok", config: {} }, { name: "bad", config: { topK: -3 } }]))).toThrow(/preset 2 \("bad"\): topK:/);
    expect(() => parsePresetFile(file([{ name: "x", config: {} }, { name: "x", config: {} }]))).toThrow(/appears twice/);
  });
});

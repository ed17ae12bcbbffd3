// Training-data formats and inputs: SFT and preference JSONL (plain and conversational),
// the human-and-AI selection, prompt lists (JSONL, CSV, lines) with line-numbered
// errors, constitution files, and the initial-vs-final word diff.
import {
  constitutionFromJson,
  ConstitutionFileError,
  constitutionToJson,
  contentFingerprint,
  defaultConstitution,
  parseConstitutionContent,
} from "../../../core/critique/constitution.ts";
import { diffStats, diffWords } from "../../../core/critique/diff.ts";
import { exportFileName, preferenceRecord, selectPreferencePairs, sftRecord, toJsonl } from "../../../core/critique/exportFormats.ts";
import { builtinRedTeamPrompts, detectPromptListFormat, parsePromptList, PromptListError } from "../../../core/critique/promptSets.ts";
import { constitutionContentSchema, type Preference } from "../../../core/critique/types.ts";

const pref = (over: Partial<Preference>): Preference => ({
  id: "p",
  comparisonId: "c1",
  source: "human",
  a: 0,
  b: 1,
  winner: "a",
  annotator: "ann",
  guideline: "",
  rankingId: "r",
  constitutionId: null,
  constitutionVersion: null,
  principleIds: [],
  agreement: null,
  judge: null,
  createdAt: 1,
  prompt: "Q?",
  systemPrompt: "",
  textA: "good",
  textB: "bad",
  ...over,
});

describe("export formats", () => {
  it("SFT records end with the final answer, with the system prompt first when there is one", () => {
    expect(sftRecord({ prompt: "Q?", systemPrompt: "", final: "A." })).toEqual({ messages: [{ role: "user", content: "Q?" }, { role: "assistant", content: "A." }] });
    expect(sftRecord({ prompt: "Q?", systemPrompt: "Be kind.", final: "A." }).messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(() => sftRecord({ prompt: "Q?", systemPrompt: "", final: null })).toThrow(/final answer/);
  });

  it("preference records in plain and conversational form", () => {
    const pair = { prompt: "Q?", systemPrompt: "Sys.", chosen: "good", rejected: "bad" };
    expect(preferenceRecord(pair, "plain")).toEqual({ prompt: "Q?", chosen: "good", rejected: "bad" });
    expect(preferenceRecord(pair, "conversational")).toEqual({
      prompt: [{ role: "system", content: "Sys." }, { role: "user", content: "Q?" }],
      chosen: [{ role: "assistant", content: "good" }],
      rejected: [{ role: "assistant", content: "bad" }],
    });
  });

  it("JSONL: one JSON value per line, newline-terminated, parseable line by line", () => {
    const text = toJsonl([{ a: "x\ny" }, { b: 2 }]);
    expect(text).toBe('{"a":"x\\ny"}\n{"b":2}\n');
    expect(text.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([{ a: "x\ny" }, { b: 2 }]);
    expect(toJsonl([])).toBe("");
  });

  it("selects pairs: winners become chosen, undecided AI rows and identical texts are dropped", () => {
    const prefs = [
      pref({ winner: "a" }),
      pref({ id: "p2", winner: "b", a: 0, b: 2, textB: "better" }),
      pref({ id: "p3", source: "ai", winner: null }),
      pref({ id: "p4", textA: "same", textB: "same" }),
    ];
    expect(selectPreferencePairs(prefs)).toEqual([
      { prompt: "Q?", systemPrompt: "", chosen: "good", rejected: "bad" },
      { prompt: "Q?", systemPrompt: "", chosen: "better", rejected: "good" },
    ]);
    expect(selectPreferencePairs(prefs, { skipIdentical: false })).toHaveLength(3);
  });

  it("humanAndAi keeps only human preferences the newest AI judgement agrees with", () => {
    const prefs = [
      pref({ id: "h1", a: 0, b: 1, winner: "a" }),
      pref({ id: "h2", a: 0, b: 2, winner: "a", textB: "worse" }),
      pref({ id: "x1", source: "ai", a: 0, b: 1, winner: "b", createdAt: 1 }),
      pref({ id: "x2", source: "ai", a: 0, b: 1, winner: "a", createdAt: 2 }),
      pref({ id: "x3", source: "ai", a: 0, b: 2, winner: "b" }),
    ];
    expect(selectPreferencePairs(prefs, { agreement: "humanAndAi" })).toEqual([{ prompt: "Q?", systemPrompt: "", chosen: "good", rejected: "bad" }]);
  });

  it("names export files by kind, form and time", () => {
    const at = new Date(2026, 0, 2, 3, 4);
    expect(exportFileName("sft", null, at)).toBe("lathe-sft-20260102-0304.jsonl");
    expect(exportFileName("preferences", "conversational", at)).toBe("lathe-preferences-conversational-20260102-0304.jsonl");
  });
});

describe("prompt lists", () => {
  it("reads JSONL objects (prompt/question/... fields) and JSON strings", () => {
    const text = '{"prompt": "one"}\n\n{"question": "two", "id": 3}\n"three"\n';
    expect(detectPromptListFormat(text)).toBe("jsonl");
    expect(parsePromptList(text)).toEqual(["one", "two", "three"]);
  });

  it("reads CSV with a prompt column: quotes, commas, doubled quotes and line breaks inside fields", () => {
    const text = 'id,prompt,notes\n1,"Hello, world",x\n2,"Say ""hi""\nnicely",\r\n3,plain,\n';
    expect(detectPromptListFormat(text)).toBe("csv");
    expect(parsePromptList(text)).toEqual(["Hello, world", 'Say "hi"\nnicely', "plain"]);
  });

  it("reads plain lines, even ones with commas", () => {
    const text = "What is a lathe, really?\n\n  How do I sharpen a gouge?  \n";
    expect(detectPromptListFormat(text)).toBe("lines");
    expect(parsePromptList(text)).toEqual(["What is a lathe, really?", "How do I sharpen a gouge?"]);
  });

  it("rejects bad lists naming the line", () => {
    const fail = (text: string, format?: "jsonl" | "csv" | "lines") => {
      try {
        parsePromptList(text, format);
      } catch (err) {
        expect(err).toBeInstanceOf(PromptListError);
        return (err as Error).message;
      }
      throw new Error("expected a PromptListError");
    };
    expect(fail('{"prompt": "ok"}\n{"prompt": oops}')).toMatch(/^Line 2: not JSON/);
    expect(fail('{"prompt": "ok"}\n{"title": "x"}')).toBe("Line 2: no prompt field (one of prompt, question, instruction, text, input)");
    expect(fail("id,prompt\n1,ok\n2,\n")).toBe("Line 3: the prompt column is empty");
    expect(fail('prompt\n"never closed\n', "csv")).toBe("Line 2: a quoted field is never closed");
    expect(fail("a,b\n1,2", "csv")).toMatch(/^Line 1: the header row names no prompt column/);
    expect(fail("  \n\n")).toBe("Line 1: no prompts found");
  });

  it("ships a small builtin red-team set", () => {
    expect(builtinRedTeamPrompts.length).toBeGreaterThanOrEqual(8);
    expect(new Set(builtinRedTeamPrompts).size).toBe(builtinRedTeamPrompts.length);
  });
});

describe("constitution files", () => {
  it("the default constitution is valid and covers helpful, honest and harmless", () => {
    const parsed = constitutionContentSchema.parse(defaultConstitution);
    expect(parsed.principles.map((p) => p.id)).toEqual(["helpful", "honest", "harmless", "not-evasive"]);
  });

  it("round-trips through JSON, and a bare object imports too", () => {
    const text = constitutionToJson(defaultConstitution, 3);
    expect(JSON.parse(text)).toMatchObject({ format: "lathe-constitution", version: 1, sourceVersion: 3 });
    expect(contentFingerprint(constitutionFromJson(text))).toBe(contentFingerprint(defaultConstitution));
    const bare = JSON.stringify({ name: "Mine", principles: [{ id: "x", name: "X", critiqueRequest: "c", revisionRequest: "r" }] });
    expect(constitutionFromJson(bare)).toEqual({ name: "Mine", description: "", principles: [{ id: "x", name: "X", critiqueRequest: "c", revisionRequest: "r" }] });
  });

  it("rejects bad files naming the field", () => {
    const file = (principles: unknown) => JSON.stringify({ format: "lathe-constitution", version: 1, constitution: { name: "C", principles } });
    const reason = (text: string) => {
      try {
        constitutionFromJson(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ConstitutionFileError);
        return [(err as ConstitutionFileError).path, (err as Error).message];
      }
      throw new Error("expected a ConstitutionFileError");
    };
    expect(reason("{nope")[0]).toBe("");
    expect(reason(file([{ id: "x", name: "", critiqueRequest: "c", revisionRequest: "r" }]))[0]).toBe("constitution.principles.0.name");
    expect(reason(file([{ id: "Bad Id", name: "n", critiqueRequest: "c", revisionRequest: "r" }]))[1]).toMatch(/constitution\.principles\.0\.id: use lowercase/);
    const dup = { id: "x", name: "n", critiqueRequest: "c", revisionRequest: "r" };
    expect(reason(file([dup, dup]))[1]).toBe('constitution.principles.1.id: duplicate principle id "x"');
    expect(reason(file([]))[0]).toBe("constitution.principles");
    expect(reason(JSON.stringify({ format: "lathe-constitution", version: 2, constitution: defaultConstitution }))[0]).toBe("version");
  });

  it("normalises typed content (trims) so fingerprints ignore stray whitespace", () => {
    const c = parseConstitutionContent({ name: " N ", principles: [{ id: "x", name: " X ", critiqueRequest: " c ", revisionRequest: "r" }] });
    expect(c).toEqual({ name: "N", description: "", principles: [{ id: "x", name: "X", critiqueRequest: "c", revisionRequest: "r" }] });
  });
});

describe("diff", () => {
  it("marks removed and added words; joining the parts gives both texts back", () => {
    const before = "Rub the chisel on a brick until sharp.";
    const after = "Rub the chisel on a fine whetstone until sharp, then strop it.";
    const parts = diffWords(before, after);
    expect(parts.filter((p) => p.op !== "add").map((p) => p.text).join("")).toBe(before);
    expect(parts.filter((p) => p.op !== "del").map((p) => p.text).join("")).toBe(after);
    expect(parts.filter((p) => p.op === "del").map((p) => p.text.trim())).toEqual(["brick", "sharp."]);
    expect(parts.filter((p) => p.op === "add").map((p) => p.text.trim())).toEqual(["fine whetstone", "sharp, then strop it."]);
    expect(diffStats(parts)).toEqual({ added: 6, removed: 2 });
  });

  it("handles identical, empty and completely different texts", () => {
    expect(diffWords("same text", "same text")).toEqual([{ op: "same", text: "same text" }]);
    expect(diffWords("", "new")).toEqual([{ op: "add", text: "new" }]);
    expect(diffWords("old", "")).toEqual([{ op: "del", text: "old" }]);
    expect(diffWords("a b", "c d")).toEqual([{ op: "del", text: "a b" }, { op: "add", text: "c d" }]);
  });
});

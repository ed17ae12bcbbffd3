// Dataset import: JSONL, CSV and HF-style JSONL with field mapping, rejected rows named by
// line and field, duplicate items dropped by content hash, and the pure SHA-256.
import { createHash } from "node:crypto";
import { goldIndex, guessMapping, parseCsv, parseDataset, sha256Hex } from "../../../core/evaluation/index.ts";

describe("sha256Hex", () => {
  it("agrees with node:crypto on empty, ASCII, multi-block and non-ASCII text", () => {
    for (const t of ["", "abc", "x".repeat(55), "y".repeat(56), "z".repeat(200), "café ✓ 😀"]) {
      expect(sha256Hex(t)).toBe(createHash("sha256").update(t, "utf8").digest("hex"));
    }
  });
});

describe("parseCsv", () => {
  it("reads quoted fields with commas, doubled quotes and newlines, and reports each record's first line", () => {
    const rows = parseCsv('a,b\r\n"x, y","he said ""hi"""\n"multi\nline",2\n');
    expect(rows.map((r) => r.cells)).toEqual([["a", "b"], ["x, y", 'he said "hi"'], ["multi\nline", "2"]]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3]);
  });
});

describe("parseDataset", () => {
  it("maps JSONL with several references and names the line and field of every bad row", () => {
    const text = [
      JSON.stringify({ input: "a", reference: "A" }),
      "{not json",
      JSON.stringify({ input: "", reference: "B" }),
      JSON.stringify({ input: "c", reference: ["C1", "C2"] }),
      JSON.stringify({ input: "d" }),
      JSON.stringify({ input: "a", reference: "A" }),
    ].join("\n");
    const p = parseDataset(text, { fileName: "x.jsonl" });
    expect(p.format).toBe("jsonl");
    expect(p.items).toEqual([
      { input: "a", references: ["A"], choices: null, gold: null },
      { input: "c", references: ["C1", "C2"], choices: null, gold: null },
    ]);
    expect(p.lines).toEqual([1, 4]);
    expect(p.rejected.map((r) => [r.line, r.field, r.message])).toEqual([
      [2, "", expect.stringMatching(/not valid JSON/)],
      [3, "input", "is empty"],
      [5, "reference", "is missing"],
    ]);
    expect(p.duplicates).toBe(1);
  });

  it("reads CSV with choices separated by | and a letter gold, rejecting a short row and an unknown gold", () => {
    const text = "question,options,answer\nWhich is red?,apple|sky|grass,A\nbad row\nTwo?,1|2,C\n";
    const p = parseDataset(text, { fileName: "q.csv", mapping: { input: "question", references: [], choices: "options", gold: "answer" } });
    expect(p.items).toEqual([{ input: "Which is red?", references: [], choices: ["apple", "sky", "grass"], gold: 0 }]);
    expect(p.rejected.map((r) => [r.line, r.field])).toEqual([
      [3, ""],
      [4, "answer"],
    ]);
  });

  it("reads HF datasets-server rows with nested choices and guesses the ARC-style mapping", () => {
    const row = (q: string, key: string) =>
      JSON.stringify({ row_idx: 0, row: { question: q, choices: { text: ["x", "y", "z"], label: ["A", "B", "C"] }, answerKey: key } });
    const p = parseDataset([row("q1", "B"), row("q2", "C")].join("\n"));
    expect(p.format).toBe("hf-jsonl");
    expect(p.mapping).toEqual({ input: "question", references: [], choices: "choices.text", gold: "answerKey" });
    expect(p.items.map((i) => [i.input, i.gold])).toEqual([
      ["q1", 1],
      ["q2", 2],
    ]);
  });

  it("gives equal content an equal hash whatever the source format", () => {
    const a = parseDataset('{"input":"x","reference":"y"}\n{"input":"x","reference":"y"}');
    const b = parseDataset("input,reference\nx,y\n", { fileName: "a.csv" });
    expect(a.hash).toBe(b.hash);
    expect(parseDataset('{"input":"x","reference":"z"}').hash).not.toBe(a.hash);
  });
});

describe("mapping helpers", () => {
  it("guesses summarization fields and reads gold as index, digit string, letter or text", () => {
    expect(guessMapping(["article", "highlights", "id"])).toEqual({ input: "article", references: ["highlights"], choices: null, gold: null });
    expect([goldIndex(1, ["a", "b"]), goldIndex("1", ["a", "b"]), goldIndex("B", ["a", "b"]), goldIndex("a", ["a", "b"]), goldIndex(5, ["a"])]).toEqual([1, 1, 1, 0, null]);
  });
});

// The sampling lab over a real WebSocket and the real engine on the demo models: the
// explainer agrees with llama.cpp's own post-chain distribution and with sampled
// frequencies (chi-square), temperature changes diversity the way the explainer's entropy
// predicts, comparison columns equal single runs with the same seed and can be saved and
// reopened, the token view and branching at a token, the tokenizer view, prompt token
// counts, preset import/export and prompt templates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatPacket } from "../../core/api/chat.ts";
import type { ComparePacket } from "../../core/api/sampling.ts";
import type { ModelRecord } from "../../core/history/types.ts";
import { builderPromptTemplate } from "../../core/evaluation/builderTemplate.ts";
import { resolveSamplingConfig, type SamplingConfigInput } from "../../core/sampling/config.ts";
import { distinctNgramRatio, explainSampling } from "../../core/sampling/explain.ts";
import { collect, startTestLathe, successorText, type TestLathe } from "../helpers/lathe.ts";

let t: TestLathe;
let demo: ModelRecord;
let successor: ModelRecord;

beforeAll(async () => {
  t = await startTestLathe();
  const done = (await collect(t.api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  demo = done.models.find((m) => m.name.startsWith("Bigram"))!;
  successor = done.models.find((m) => m.name.startsWith("Successor"))!;
});
afterAll(async () => {
  await t?.close();
});

/** Raw completion of text on the demo model: the next byte after the last one. */
const rawPrompt = (text: string) => ({ text, chat: false });
const explainRaw = (text: string, config: SamplingConfigInput) =>
  t.api.sampling.explain({ modelId: demo.id, context: { kind: "prompt", prompt: rawPrompt(text) }, config });

/** Upper quantile of the chi-square distribution (Wilson-Hilferty; z = 3.09 for 0.999). */
function chiSquareCritical(df: number, z = 3.09): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Pearson's statistic of counts against probabilities; bins under 5 expected are pooled. */
function chiSquare(counts: Map<number, number>, probs: Map<number, number>, n: number): { stat: number; df: number } {
  let stat = 0;
  let bins = 0;
  let pooledExpected = 0;
  let pooledObserved = 0;
  const ids = new Set([...counts.keys(), ...probs.keys()]);
  for (const id of ids) {
    const e = (probs.get(id) ?? 0) * n;
    const o = counts.get(id) ?? 0;
    if (e >= 5) {
      stat += (o - e) ** 2 / e;
      bins++;
    } else {
      pooledExpected += e;
      pooledObserved += o;
    }
  }
  if (pooledExpected > 0 || pooledObserved > 0) {
    stat += (pooledObserved - pooledExpected) ** 2 / Math.max(pooledExpected, 1e-9);
    bins++;
  }
  return { stat, df: bins - 1 };
}

async function demoEngineId(): Promise<string> {
  const status = await t.lathe.engine.status();
  const m = status.models.find((x) => x.path === demo.filePath);
  if (!m) throw new Error("demo model not loaded");
  return m.id;
}

describe("explainer", () => {
  const config = { temperature: 1.3, topK: 8, topP: 0.95, minP: 0.02 };

  it("explains the whole demo vocabulary and matches llama.cpp's own distribution after the chain", async () => {
    const e = await explainRaw("the ", config);
    expect(e.vocabSize).toBe(259);
    expect(e.distribution).toHaveLength(259);
    expect(e.explanation.tailMass).toBeLessThan(1e-4);
    expect(e.explanation.tokens[0]!.piece).toBe("t"); // "the t…" is the commonest bigram after a space
    expect(e.explanation.stages.find((s) => s.stage === "topK")!.kept).toBe(8);
    expect(e.explanation.finalKept).toBe(8);
    expect(e.engine!.candidates).toBe(8);
    const mine = new Map(e.explanation.tokens.map((tok, i) => [tok.id, e.explanation.final[i]!]));
    for (const tok of e.engine!.top) expect(Math.abs(mine.get(tok.id)! - tok.prob)).toBeLessThan(1e-5);
    expect(e.explanation.finalEntropy).toBeCloseTo(e.engine!.entropy, 4);
    // The renderer reruns the same math from what explain returns: identical result.
    const again = explainSampling(e.distribution, e.config, { recentTokens: e.recentTokens, newlineToken: e.newlineToken, tokenBias: e.tokenBias, eogTokens: e.eogTokens });
    expect(again.final).toEqual(e.explanation.final);
  });

  it("temperature 0 leaves one token at probability 1; top-k 3 leaves three", async () => {
    const greedy = await explainRaw("the ", { temperature: 0 });
    expect(greedy.explanation.final.filter((p) => p > 0)).toEqual([1]);
    expect(greedy.explanation.tokens[greedy.explanation.final.indexOf(1)]!.piece).toBe("t");
    expect(greedy.engine).toBeNull();
    const k3 = await explainRaw("the ", { temperature: 1, topK: 3, topP: 1, minP: 0 });
    expect(k3.explanation.finalKept).toBe(3);
    expect(k3.explanation.tokens.filter((_, i) => k3.explanation.final[i]! > 0).map((x) => x.piece)).toEqual(["t", "a", "s"]);
  });

  it("sampled frequencies match the displayed final probabilities (chi-square, 300 draws)", async () => {
    const e = await explainRaw("the ", config);
    const probs = new Map(e.explanation.tokens.map((tok, i) => [tok.id, e.explanation.final[i]!]));
    const modelId = await demoEngineId();
    const n = 300;
    const counts = new Map<number, number>();
    for (let seed = 1; seed <= n; seed++) {
      for await (const p of t.lathe.engine.generate({ modelId, prompt: { kind: "raw", text: "the " }, sampling: { ...config, seed, maxTokens: 1 } })) {
        if (p.type !== "done") continue;
        const id = p.tokens[0] ?? -1; // -1: end of text (never kept by this config)
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    // Only kept tokens are ever drawn.
    expect([...counts.keys()].every((id) => (probs.get(id) ?? 0) > 0)).toBe(true);
    const fit = chiSquare(counts, probs, n);
    expect(fit.df).toBeGreaterThanOrEqual(6);
    expect(fit.stat).toBeLessThan(chiSquareCritical(fit.df));
    // The same draws are far from the raw distribution: the test can tell configs apart.
    const raw = new Map(e.explanation.tokens.map((tok, i) => [tok.id, e.explanation.raw[i]!]));
    const against = chiSquare(counts, raw, n);
    expect(against.stat).toBeGreaterThan(chiSquareCritical(against.df));
  });

  it("explains after a conversation, continuing an assistant leaf whose tokens feed the repeat penalty", async () => {
    const conv = await t.api.history.createConversation({ modelId: demo.id });
    const user = await t.lathe.store.history.addMessage({ conversationId: conv.id, parentId: null, role: "user", content: "Tell me about the lathe." });
    await t.lathe.store.history.addMessage({ conversationId: conv.id, parentId: user.id, role: "assistant", content: "the" });
    const penalty = { temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: { presencePenalty: 2, lastTokens: 64 } };
    const e = await t.api.sampling.explain({ context: { kind: "conversation", conversationId: conv.id }, config: penalty });
    expect(e.modelId).toBe(demo.id);
    expect(e.recentTokens).toEqual([116, 104, 101]); // "the"
    // After "the" a space is the likeliest byte; the penalty lowers t/h/e exactly by e^-2 relative to the rest.
    expect(e.explanation.tokens[0]!.piece).toBe(" ");
    const idx = (piece: string) => e.explanation.tokens.findIndex((x) => x.piece === piece);
    const ratio = (piece: string) => e.explanation.final[idx(piece)]! / e.explanation.raw[idx(piece)]!;
    expect(ratio("e") / ratio(" ")).toBeCloseTo(Math.exp(-2), 5);
    // llama.cpp agrees (its top tokens after the chain).
    for (const tok of e.engine!.top.slice(0, 5)) expect(e.explanation.final[e.explanation.tokens.findIndex((x) => x.id === tok.id)]!).toBeCloseTo(tok.prob, 4);
  });
});

describe("compare", () => {
  const doneOf = (packets: ComparePacket[], column: number) => {
    const d = packets.find((p) => p.type === "done" && p.column === column);
    if (d?.type !== "done") throw new Error(`column ${column} did not finish: ${JSON.stringify(packets.filter((p) => p.type === "error"))}`);
    return d;
  };

  it("higher temperature gives more distinct bigrams, as the explainer's entropy predicts", async () => {
    const cfg = (temperature: number, seed?: number) => ({ temperature, maxTokens: 60, ...(seed === undefined ? {} : { seed }) });
    const [cold, hot] = await Promise.all([explainRaw("the ", cfg(0.2)), explainRaw("the ", cfg(1.5))]);
    expect(hot.explanation.finalEntropy).toBeGreaterThan(cold.explanation.finalEntropy + 0.5);
    const outs: Record<string, number[][]> = {};
    for (const temperature of [0.2, 1.5]) {
      const packets = await collect(
        t.api.sampling.compare({ modelId: demo.id, prompt: rawPrompt("the "), columns: [1, 2, 3].map((seed) => ({ config: cfg(temperature, seed) })), sameSeed: false, probabilities: false }),
      );
      outs[temperature] = [0, 1, 2].map((c) => doneOf(packets, c).tokens);
    }
    // Equal lengths for every run (a paragraph may end early), so length cannot bias the ratio.
    const length = Math.min(...Object.values(outs).flat().map((o) => o.length));
    expect(length).toBeGreaterThanOrEqual(30);
    const ratios = Object.fromEntries(Object.entries(outs).map(([k, runs]) => [k, runs.map((o) => distinctNgramRatio(o.slice(0, length)))]));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(ratios[1.5]!)).toBeGreaterThan(mean(ratios[0.2]!) + 0.2);
  });

  it("runs three configs at once; each column equals a single run with the same seed; saves and reopens", async () => {
    const presets = await t.api.presets.list({});
    const creative = presets.find((p) => p.name === "Creative")!;
    const columns = [
      { label: "Warm", config: resolveSamplingConfig({ temperature: 0.9, maxTokens: 30 }) },
      { presetId: creative.id },
      { label: "Flat", config: resolveSamplingConfig({ temperature: 1.4, topK: 0, topP: 1, minP: 0.1, maxTokens: 30 }) },
    ];
    const packets = await collect(
      t.api.sampling.compare({ modelId: demo.id, prompt: rawPrompt("The lathe "), columns, sameSeed: true, seed: 4242, maxTokens: 30, save: true }),
    );
    const starts = packets.filter((p) => p.type === "start");
    expect(starts.map((s) => s.label)).toEqual(["Warm", "Creative", "Flat"]);
    expect(starts.map((s) => s.config.seed)).toEqual([4242, 4242, 4242]);
    const texts = [0, 1, 2].map((c) => doneOf(packets, c).text);
    for (const c of [0, 1, 2]) {
      const fragments = packets.flatMap((p) => (p.type === "fragment" && p.column === c ? [p.text] : [])).join("");
      expect(fragments).toBe(texts[c]);
      const single = await collect(t.api.sampling.compare({ modelId: demo.id, prompt: rawPrompt("The lathe "), columns: [columns[c]!], seed: 4242, maxTokens: 30 }));
      expect(doneOf(single, 0).text).toBe(texts[c]);
      // Per-token probabilities cover the column's tokens, with alternatives.
      const probs = packets.find((p) => p.type === "tokens" && p.column === c);
      expect(probs?.type === "tokens" && probs.tokens.map((x) => x.id)).toEqual(doneOf(packets, c).tokens);
      expect(probs?.type === "tokens" && probs.tokens.every((x) => x.alternatives.length === 5 && x.prob > 0)).toBe(true);
    }
    expect(new Set(texts).size).toBe(3);
    // The columns decoded together on three sequences of one context: every column's first
    // fragment came before any column finished.
    const firstFragment = [0, 1, 2].map((c) => packets.findIndex((p) => p.type === "fragment" && p.column === c));
    const firstDone = packets.findIndex((p) => p.type === "done");
    expect(Math.max(...firstFragment)).toBeLessThan(firstDone);
    const contexts = (await t.lathe.engine.status()).models.find((m) => m.path === demo.filePath)!.contexts;
    expect(contexts.map((c) => c.sequences)).toContain(3);
    // Directly through the engine: the same text for the same config and seed.
    const direct = await collect(
      t.lathe.engine.generate({ modelId: await demoEngineId(), prompt: { kind: "raw", text: "The lathe " }, sampling: { ...columns[0]!.config, seed: 4242 } }),
    );
    expect(direct.at(-1)?.type === "done" && direct.at(-1)).toMatchObject({ text: texts[0] });

    const saved = packets.at(-1);
    if (saved?.type !== "saved") throw new Error("not saved");
    const reopened = await t.api.sampling.openComparison({ conversationId: saved.conversationId });
    expect(reopened.prompt).toEqual({ text: "The lathe ", chat: false, systemPrompt: "" });
    expect(reopened.columns.map((c) => [c.label, c.text, c.seed, c.config.temperature])).toEqual([
      ["Warm", texts[0], 4242, 0.9],
      ["Creative", texts[1], 4242, 1.2],
      ["Flat", texts[2], 4242, 1.4],
    ]);
    const conv = await t.api.history.getConversation({ id: saved.conversationId });
    expect(conv.tags).toEqual(["comparison"]);
    // The stored answer's token view scores it as the raw completion it was.
    const view = await t.api.sampling.messageTokens({ messageId: saved.messageIds[0]! });
    expect(view.tokens.map((x) => x.id)).toEqual(doneOf(packets, 0).tokens);
  });
});

describe("token view and branching", () => {
  it("shows an answer's tokens with probabilities and alternatives, and branches at a token with another one", async () => {
    const preset = await t.api.presets.save({ name: "Greedy 12", config: { temperature: 0, maxTokens: 12 } });
    const conv = await t.api.history.createConversation({ modelId: successor.id, presetId: preset.id });
    const answer = (await collect(t.api.chat.send({ conversationId: conv.id, content: "abc" }))).at(-1);
    if (answer?.type !== "done") throw new Error("no answer");
    expect(answer.message.content).toBe(successorText("\n", 12)); // "abcdefghijkl"

    const view = await t.api.sampling.messageTokens({ messageId: answer.message.id });
    expect(view.tokens.map((x) => x.piece).join("")).toBe(answer.message.content);
    expect(view.tokens.every((x) => x.rank === 1 && x.alternatives[0]!.id === x.id && x.alternatives.length === 5)).toBe(true);
    expect(view.tokens[0]!.prob).toBeGreaterThan(0.9);

    const x = "x".charCodeAt(0);
    const packets: ChatPacket[] = await collect(t.api.sampling.branch({ messageId: answer.message.id, tokenIndex: 4, tokenId: x }));
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("branch did not finish");
    // Kept "abcd", put "x" in place of "e", and the model continued from "x" by its rule.
    expect(done.message.content).toBe(`abcdx${successorText("x", 12)}`);
    expect(done.message.status).toBe("complete");
    expect(done.message.parentId).toBe(answer.message.parentId);
    expect(packets.flatMap((p) => (p.type === "fragment" ? [p.text] : [])).join("")).toBe(done.message.content);
    const path = await t.api.history.getPath({ conversationId: conv.id });
    expect(path.nodes.at(-1)!.siblingIds).toEqual([answer.message.id, done.message.id]);
    expect(done.message.provenance?.modelMetadata.branchedFrom).toEqual({ messageId: answer.message.id, tokenIndex: 4, tokenId: x });

    await expect(collect(t.api.sampling.branch({ messageId: answer.message.id, tokenIndex: 12, tokenId: x }))).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/past the answer's 12 tokens/),
    });
    const user = path.nodes[0]!.message;
    await expect(t.api.sampling.messageTokens({ messageId: user.id })).rejects.toMatchObject({ code: "invalid_input" });
  });
});

describe("tokenizer, prompt counts, presets and templates", () => {
  it("shows pieces, ids, special tokens and bytes per token", async () => {
    const r = await t.api.sampling.tokenize({ modelId: demo.id, text: "héllo<|im_end|>" });
    expect(r.tokens.map((x) => x.id)).toEqual([104, 0xc3, 0xa9, 108, 108, 111, 258]);
    expect(r.tokens.map((x) => x.special)).toEqual([false, false, false, false, false, false, true]);
    expect(r.tokens.map((x) => x.bytes)).toEqual([1, null, null, 1, 1, 1, 0]);
    expect(r).toMatchObject({ count: 7, characters: 15, bytes: 16, specialCount: 1 });
    expect(r.bytesPerToken).toBeCloseTo(16 / 7, 12);
    const plain = await t.api.sampling.tokenize({ modelId: demo.id, text: "<|im_end|>", specialTokens: false });
    expect(plain.count).toBe(10);
  });

  it("counts a built prompt's tokens against the context size", async () => {
    const raw = await t.api.sampling.countTokens({ modelId: demo.id, text: "Input: cat\nOutput:" });
    expect(raw.tokens).toBe(18);
    expect(raw.contextSize).toBeGreaterThanOrEqual(256);
    const chat = await t.api.sampling.countTokens({ modelId: demo.id, messages: [{ role: "user", content: "cat" }] });
    // <|endoftext|> then ChatML: <|im_start|>user\ncat<|im_end|>\n<|im_start|>assistant\n
    expect(chat.tokens).toBe(1 + 1 + 5 + 3 + 1 + 1 + 1 + 10);
  });

  it("exports presets as JSON and imports them back, renaming clashes and naming faults", async () => {
    const mine = await t.api.presets.save({ name: "Export me", config: { temperature: 0.55, topK: 12 } });
    const { json, count } = await t.api.sampling.exportPresets({ ids: [mine.id] });
    expect(count).toBe(1);
    const renamed = await t.api.sampling.importPresets({ json });
    expect(renamed.imported.map((p) => p.name)).toEqual(["Export me (2)"]);
    expect(renamed.imported[0]!.config).toMatchObject({ temperature: 0.55, topK: 12 });
    expect((await t.api.sampling.importPresets({ json, onConflict: "skip" })).skipped).toEqual(["Export me"]);
    const replaced = await t.api.sampling.importPresets({ json: json.replace('"temperature": 0.55', '"temperature": 0.65'), onConflict: "replace" });
    expect(replaced.imported[0]).toMatchObject({ id: mine.id, name: "Export me" });
    expect(replaced.imported[0]!.config.temperature).toBe(0.65);
    await expect(t.api.sampling.importPresets({ json: json.replace('"topK": 12', '"topK": -1') })).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/preset 1 \("Export me"\): topK/),
    });
    const all = await t.api.sampling.exportPresets({});
    expect(JSON.parse(all.json).presets.map((p: { name: string }) => p.name)).not.toContain("Greedy");
  });

  it("saves, lists and deletes prompt templates", async () => {
    const spec = { instruction: "Name the colour.", examples: [{ input: "sky", output: "blue" }], input: "grass", mode: "one" as const };
    const saved = await t.api.sampling.saveTemplate({ name: "Colours", spec });
    expect(saved.spec).toMatchObject(spec);
    const list = await t.api.sampling.listTemplates({});
    expect(list.map((x) => [x.name, x.spec.examples])).toEqual([["Colours", spec.examples]]);
    expect((await t.api.sampling.deleteTemplate({ id: saved.id })).deleted).toBe(true);
    expect(await t.api.sampling.listTemplates({})).toEqual([]);
  });

  it("a saved template is the prompt of an evaluation run, zero-shot and few-shot, and the runs compare", async () => {
    const spec = { instruction: "Continue the letters.", examples: [{ input: "mno", output: "pqr" }, { input: "uvw", output: "xyz" }], input: "ignored", mode: "few" as const };
    const saved = await t.api.sampling.saveTemplate({ name: "Letters", spec });
    const [template] = await t.api.sampling.listTemplates({});
    expect(template?.id).toBe(saved.id);
    const suite = (await t.api.evaluation.listSuites({})).find((x) => x.name === "Demo: next three characters")!;
    const run = async (mode: "zero" | "few") => {
      const packets = await collect(
        t.api.evaluation.run({ suiteId: suite.id, modelId: successor.id, limit: 2, label: mode, prompt: builderPromptTemplate(template!.spec, { mode }) }),
      );
      const last = packets.at(-1);
      if (last?.type !== "done") throw new Error(`run did not finish: ${JSON.stringify(last)}`);
      return last.run;
    };
    const zero = await run("zero");
    const few = await run("few");
    expect([zero.config.prompt, few.config.prompt].map((p) => p.kind === "builder" && p.mode)).toEqual(["zero", "few"]);
    const [zeroDetail, fewDetail] = await Promise.all([t.api.evaluation.getRun({ id: zero.id }), t.api.evaluation.getRun({ id: few.id })]);
    const input = zeroDetail.items[0]!.input;
    expect(zeroDetail.results[0]!.prompt).toBe(`Continue the letters.\n\nInput: ${input}\nOutput:`);
    expect(fewDetail.results[0]!.prompt).toBe(`Continue the letters.\n\nInput: mno\nOutput: pqr\n\nInput: uvw\nOutput: xyz\n\nInput: ${input}\nOutput:`);
    const cmp = await t.api.evaluation.compare({ a: zero.id, b: few.id, samples: 50 });
    expect(cmp.sharedItems).toBe(2);
    expect(cmp.metrics.map((m) => m.name)).toContain("exact_match");
  });
});

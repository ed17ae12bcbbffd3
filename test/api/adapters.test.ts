// The adapter lab's services over a real WebSocket and the real engine (one Lathe for the
// file): the library with compatibility badges and the reasons files are refused, the
// watched folder, a conversation switching from the +1 rule to the +2 adapter between two
// messages without reloading the model, base-vs-set comparison, a scale sweep whose middle
// point mixes the rules, the drift meter (KL of +2 large, of scale 0 ~0), and the demo
// adapter moving the bigram model toward the kitchen corpus.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiError, ChatPacket } from "../../core/api/index.ts";
import { LORA_CONVERSION_GUIDE, type AdapterComparePacket, type AdapterEntry, type DriftPacket, type ScaleSweepPacket } from "../../core/api/adapters.ts";
import type { AdapterUse, ModelRecord } from "../../core/history/types.ts";
import { KITCHEN_CORPUS, WORKSHOP_CORPUS } from "../../core/fixtures/corpus.ts";
import { demoNextProbs } from "../../core/fixtures/demo.ts";
import { continueRule, mixedNext, plus2Next, successorNext, type NextRule } from "../../core/fixtures/successor.ts";
import { fixture } from "../helpers/fixtures.ts";
import { collect, startTestLathe, successorText, type TestLathe } from "../helpers/lathe.ts";

let t: TestLathe;
let successor: ModelRecord;
let bigram: ModelRecord;
const byName = new Map<string, AdapterEntry>();
let shortGreedy: string;

const rule = (r: NextRule, after: string, n: number) => String.fromCharCode(...continueRule(r, after.charCodeAt(0), n));
const use = (a: AdapterEntry, scale: number): AdapterUse => ({ adapterId: a.id, file: a.filePath, sha256: a.sha256, scale });
const plus2 = () => byName.get("Successor +2 (demo adapter)")!;
const kitchen = () => byName.get("Kitchen (demo adapter for Bigram)")!;

async function refusal(path: string): Promise<ApiError> {
  const err = (await t.api.adapters.add({ path }).then(
    () => null,
    (e: unknown) => e,
  )) as ApiError | null;
  if (!err) throw new Error(`${path} was added`);
  expect(err.code).toBe("invalid_input");
  return err;
}

beforeAll(async () => {
  t = await startTestLathe();
  const done = (await collect(t.api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  successor = done.models.find((m) => m.name.startsWith("Successor"))!;
  bigram = done.models.find((m) => m.name.startsWith("Bigram"))!;
  for (const a of (await t.api.adapters.list({})).adapters) byName.set(a.name, a);
  shortGreedy = (await t.api.presets.save({ name: "Short greedy", config: { temperature: 0, maxTokens: 12 } })).id;
});
afterAll(async () => {
  await t?.close();
});

describe("library", () => {
  it("lists the demo adapters with their metadata and a compatibility badge per model", async () => {
    const { adapters, folder } = await t.api.adapters.list({});
    expect(folder).toBe(join(t.dataDir, "adapters"));
    expect(adapters.map((a) => a.name).sort()).toEqual(["Kitchen (demo adapter for Bigram)", "Successor +2 (demo adapter)", "Successor -1 (demo adapter)"]);
    const p = plus2();
    expect(p.available).toBe(true);
    expect(p.sizeBytes).toBeGreaterThan(1000);
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.metadata).toMatchObject({ architecture: "llama", type: "adapter", adapterType: "lora", targets: ["output.weight"] });
    expect(kitchen().metadata).toMatchObject({ rank: 16, loraAlpha: 32 });
    // Both demo models share the 320-wide layout, so every demo adapter fits both.
    expect(p.compatibility.map((c) => [c.modelName, c.compatible])).toEqual(
      expect.arrayContaining([
        [successor.name, true],
        [bigram.name, true],
      ]),
    );
  });

  it("refuses an adapter built for another base with llama.cpp's reason, and badges it when forced", async () => {
    const err = await refusal(fixture.successorWrongBase);
    expect(err.message).toContain("tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?)");
    expect(err.message).toContain("[288 -> 259]");
    expect(err.details).toMatchObject({ refusal: "wrong_base" });
    expect((await t.api.adapters.list({})).adapters).toHaveLength(3);

    const forced = await t.api.adapters.add({ path: fixture.successorWrongBase, force: true, tags: ["other base"] });
    expect(forced.compatibility).toHaveLength(2);
    for (const c of forced.compatibility) {
      expect(c.compatible).toBe(false);
      expect(c.reason).toMatch(/^llama\.cpp: tensor 'output\.weight' has incorrect shape \(hint: maybe wrong base model\?\)/);
    }
    expect((await t.api.adapters.remove({ id: forced.id })).removed).toBe(true);
    expect((await t.api.adapters.list({})).adapters.map((a) => a.id)).not.toContain(forced.id);
  });

  it("refuses a model, a corrupt file, a non-GGUF file and a missing file, naming why", async () => {
    expect((await refusal(successor.filePath)).message).toMatch(/full model, not a LoRA adapter/);
    expect((await refusal(successor.filePath)).details).toMatchObject({ refusal: "not_adapter" });
    const corrupt = await refusal(fixture.broken.truncated);
    expect(corrupt.details).toMatchObject({ refusal: "corrupt" });
    expect(corrupt.message).toMatch(/damaged/);
    const text = join(t.dataDir, "notes.gguf");
    writeFileSync(text, "just some text, not a model");
    expect((await refusal(text)).details).toMatchObject({ refusal: "not_gguf" });
    expect((await refusal(join(t.dataDir, "nope.gguf"))).details).toMatchObject({ refusal: "missing" });
  });

  it("points a PEFT safetensors adapter (file or run folder) at the conversion guide", async () => {
    const run = join(t.dataDir, "peft-run");
    mkdirSync(run, { recursive: true });
    const json = new TextEncoder().encode('{"__metadata__":{"format":"pt"}}');
    const st = new Uint8Array(8 + json.length);
    new DataView(st.buffer).setBigUint64(0, BigInt(json.length), true);
    st.set(json, 8);
    writeFileSync(join(run, "adapter_model.safetensors"), st);
    writeFileSync(join(run, "adapter_config.json"), '{"r": 8, "lora_alpha": 16}');
    // Renamed to .gguf, the content still gives it away.
    writeFileSync(join(t.dataDir, "renamed.gguf"), st);
    for (const path of [join(run, "adapter_model.safetensors"), run, join(t.dataDir, "renamed.gguf")]) {
      const err = await refusal(path);
      expect(err.details).toEqual({ refusal: "safetensors", guide: LORA_CONVERSION_GUIDE });
      expect(err.message).toMatch(/convert_lora_to_gguf\.py/);
    }
  });

  it("keeps tags and notes", async () => {
    const updated = await t.api.adapters.update({ id: plus2().id, tags: ["rule", "demo", "rule"], notes: "Shifts by two." });
    expect(updated.tags).toEqual(["rule", "demo"]);
    expect(updated.notes).toBe("Shifts by two.");
    expect(updated.compatibility.every((c) => c.compatible)).toBe(true);
    const again = (await t.api.adapters.list({})).adapters.find((a) => a.id === plus2().id)!;
    expect(again.tags).toEqual(["rule", "demo"]);
  });

  it("adds new adapters found in the watched folder and says why it skipped the rest", async () => {
    const folder = join(t.dataDir, "adapters");
    copyFileSync(fixture.successorAlt, join(folder, "alt-copy.gguf"));
    copyFileSync(fixture.successorWrongBase, join(folder, "wrong-base.gguf"));
    writeFileSync(join(folder, "adapter_model.safetensors"), new Uint8Array(16));
    writeFileSync(join(folder, "README.txt"), "not an adapter");
    const scan = await t.api.adapters.scan({});
    expect(scan.folder).toBe(folder);
    expect(scan.added.map((a) => a.filePath)).toEqual([join(folder, "alt-copy.gguf")]);
    expect(scan.known).toBe(3);
    expect(scan.refused.map((r) => [r.fileName, r.refusal]).sort()).toEqual([
      ["adapter_model.safetensors", "safetensors"],
      ["wrong-base.gguf", "wrong_base"],
    ]);
    expect(scan.refused.find((r) => r.refusal === "wrong_base")!.reason).toMatch(/incorrect shape/);
    const second = await t.api.adapters.scan({});
    expect(second.added).toEqual([]);
    expect(second.known).toBe(4);
  });
});

describe("applying sets", () => {
  it("switches one conversation from the +1 rule to the +2 adapter between two messages without reloading the model", async () => {
    const conv = await t.api.history.createConversation({ modelId: successor.id, presetId: shortGreedy });
    const doneOf = (packets: ChatPacket[]) => {
      const d = packets.at(-1);
      if (d?.type !== "done") throw new Error("no done packet");
      return d.message;
    };
    const first = doneOf(await collect(t.api.chat.send({ conversationId: conv.id, content: "abc" })));
    expect(first.content).toBe(successorText("\n", 12)); // "abcdefghijkl": +1 after the "assistant\n" opening
    expect(first.provenance!.adapters).toEqual([]);

    const set = [use(plus2(), 1)];
    await t.api.history.updateConversation({ id: conv.id, patch: { adapterSet: set } });
    const swap = await t.api.adapters.prepare({ conversationId: conv.id });
    expect(swap).toMatchObject({ modelId: successor.id, adapters: set, contextCreated: true, modelLoaded: false, modelLoads: 1 });
    expect(swap.swapMs).toBeGreaterThan(0);
    const cached = await t.api.adapters.prepare({ conversationId: conv.id });
    expect(cached.contextCreated).toBe(false);

    const second = doneOf(await collect(t.api.chat.send({ conversationId: conv.id, content: "more" })));
    expect(second.content).toBe("a" + rule(plus2Next, "a", 11)); // '\n' -> 'a' under every rule, then +2: "acegikmoqsuw"
    expect(second.provenance!.adapters).toEqual(set);
    const status = await t.api.engine.status({});
    expect(status.counters.modelLoads).toBe(1);
    const path = await t.api.history.getPath({ conversationId: conv.id });
    expect(path.nodes.filter((n) => n.message.role === "assistant").map((n) => n.message.provenance!.adapters.length)).toEqual([0, 1]);
  });

  it("a mismatched adapter in a set fails the swap with llama.cpp's reason", async () => {
    const wrong: AdapterUse = { adapterId: null, file: fixture.successorWrongBase, sha256: null, scale: 1 };
    const conv = await t.api.history.createConversation({ modelId: successor.id, presetId: shortGreedy, adapterSet: [wrong] });
    await expect(t.api.adapters.prepare({ conversationId: conv.id })).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringContaining("tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?)"),
    });
  });
});

describe("experiments", () => {
  it("compares base with +2 at 0.5 on one prompt: first differing token and the other side's probabilities", async () => {
    const packets: AdapterComparePacket[] = await collect(
      t.api.adapters.compare({ modelId: successor.id, prompt: { text: "b", chat: false }, setB: [{ adapterId: plus2().id, scale: 0.5 }], maxTokens: 8 }),
    );
    const starts = packets.filter((p) => p.type === "start");
    expect(starts.map((p) => p.label)).toEqual(["base", "Successor +2 (demo adapter) ×0.5"]);
    const done = packets.filter((p) => p.type === "done");
    const text = (side: number) => done.find((p) => p.side === side)!.text;
    expect(text(0)).toBe(rule(successorNext, "b", 8)); // "cdefghij"
    expect(text(1)).toBe(rule(mixedNext(plus2Next), "b", 8)); // "cegikmoq": base after 'b' (even), +2 after odd letters
    const diff = packets.find((p) => p.type === "difference");
    expect(diff).toEqual({ type: "difference", firstDifference: 1, commonPrefix: 1 });
    const tokens = (side: number) => packets.find((p) => p.type === "tokens" && p.side === side);
    const left = tokens(0);
    const right = tokens(1);
    if (left?.type !== "tokens" || right?.type !== "tokens") throw new Error("no scored tokens");
    expect(left.tokens.map((x) => x.piece).join("")).toBe(text(0));
    // 'c' after 'b' is what both sides pick; 'd' after 'c' is the base's choice that the mixed set rejects, and vice versa.
    expect(left.tokens[0]!.otherProb).toBeGreaterThan(0.8);
    expect(left.tokens[0]!.otherRank).toBe(1);
    expect(left.tokens[1]!.otherProb).toBeLessThan(0.1);
    expect(right.tokens[1]!.otherProb).toBeLessThan(0.1);
    expect(right.tokens[1]!.otherRank).toBeGreaterThan(1);
  });

  it("sweeps the +2 adapter's scale: base rule at 0, mixed output at 0.5, +2 rule at 1", async () => {
    const packets: ScaleSweepPacket[] = await collect(
      t.api.adapters.scaleSweep({ modelId: successor.id, prompt: { text: "b", chat: false }, adapter: { adapterId: plus2().id }, scales: [0, 0.5, 1], maxTokens: 10 }),
    );
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("sweep did not finish");
    expect(packets.filter((p) => p.type === "point")).toHaveLength(3);
    expect(done.points.map((p) => p.scale)).toEqual([0, 0.5, 1]);
    expect(done.points.map((p) => p.text)).toEqual([rule(successorNext, "b", 10), rule(mixedNext(plus2Next), "b", 10), rule(plus2Next, "b", 10)]);
    const agreement = done.points.map((p) => p.metrics!.refAgreement);
    expect(agreement[0]).toBe(1);
    expect(agreement[1]).toBeCloseTo(0.1, 5); // only the first token ('c') is the base's choice
    expect(agreement[2]).toBe(0);
    const logprob = done.points.map((p) => p.metrics!.meanLogprobRef);
    expect(logprob[0]).toBeGreaterThan(logprob[1]!);
    expect(logprob[1]).toBeGreaterThan(logprob[2]!);
    expect(done.adapter.adapterId).toBe(plus2().id);
  });

  it("drift: KL of the +2 adapter from the base is large, of scale 0 about zero", async () => {
    const text = "The quick brown fox jumps";
    const run = async (scale: number) => {
      const packets: DriftPacket[] = await collect(t.api.adapters.drift({ modelId: successor.id, adapters: [{ adapterId: plus2().id, scale }], texts: [text] }));
      const per = packets.find((p) => p.type === "text");
      const done = packets.at(-1);
      if (per?.type !== "text" || done?.type !== "done") throw new Error("drift did not finish");
      return { per, done };
    };
    const full = await run(1);
    expect(full.per.tokens).toHaveLength(text.length - 1);
    expect(full.per.tokens.map((x) => x.piece).join("")).toBe(text.slice(1));
    expect(full.done.summary.meanKl).toBeGreaterThan(5);
    expect(Math.min(...full.per.tokens.map((x) => x.kl))).toBeGreaterThan(1);
    expect(full.done.maxAt).not.toBeNull();
    const zero = await run(0);
    expect(zero.done.summary.maxKl).toBeLessThan(1e-3);
    expect(zero.done.summary.perplexitySet).toBeCloseTo(zero.done.summary.perplexityBase, 3);
  });

  it("drift over a dataset: the kitchen adapter moves the bigram model toward the kitchen corpus", async () => {
    const texts = [KITCHEN_CORPUS[1]!, WORKSHOP_CORPUS[2]!];
    const packets: DriftPacket[] = await collect(t.api.adapters.drift({ modelId: bigram.id, adapters: [{ adapterId: kitchen().id, scale: 1 }], texts }));
    const per = packets.filter((p) => p.type === "text");
    expect(per.map((p) => p.index)).toEqual([0, 1]);
    const [onKitchen, onWorkshop] = per;
    if (onKitchen?.type !== "text" || onWorkshop?.type !== "text") throw new Error("missing texts");
    // Kitchen text is likelier with the adapter, workshop text likelier without it.
    expect(onKitchen.summary.perplexitySet).toBeLessThan(onKitchen.summary.perplexityBase * 0.9);
    expect(onWorkshop.summary.perplexityBase).toBeLessThan(onWorkshop.summary.perplexitySet * 0.9);
    // The engine's numbers are the fixture's bigram tables: log P(next | current) at scale 0 and 1.
    const bytes = new TextEncoder().encode(texts[0]);
    for (const i of [0, 10, 50]) {
      const tok = onKitchen.tokens[i]!;
      expect(tok.id).toBe(bytes[i + 1]);
      expect(tok.logprobBase).toBeCloseTo(Math.log(demoNextProbs(bytes[i]!, 0)[bytes[i + 1]!]!), 2);
      expect(tok.logprobSet).toBeCloseTo(Math.log(demoNextProbs(bytes[i]!, 1)[bytes[i + 1]!]!), 2);
    }
    const done = packets.at(-1);
    if (done?.type !== "done") throw new Error("drift did not finish");
    expect(done.summary.tokens).toBe(onKitchen.summary.tokens + onWorkshop.summary.tokens);
    expect(done.summary.meanKl).toBeGreaterThan(0.01);
  });
});

// @vitest-environment jsdom
// The Sampling panel in jsdom against fake handlers served over the real API server: the
// explainer chart follows the sliders (temperature 0 -> one bar at 100%, top-k 3 -> three
// bars) without another call, the preset editor validates and saves, comparison columns
// fill from the stream, hovering a token shows alternatives and clicking one branches,
// the tokenizer and the prompt builder's budget.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { contract, createApiClient, createMemoryChannelPair, serveApi, type HandlersOf, type LatheContract } from "../../../core/api/index.ts";
import type { ComparePacket, ExplainResult } from "../../../core/api/sampling.ts";
import type { ResponseTokenProb } from "../../../core/engine/types.ts";
import type { Message, Preset } from "../../../core/history/types.ts";
import { explainSampling } from "../../../core/sampling/explain.ts";
import { resolveSamplingConfig } from "../../../core/sampling/config.ts";
import SamplingPanel from "../../../renderer/sampling/SamplingPanel.svelte";
import TokenText from "../../../renderer/sampling/TokenText.svelte";

const immediate = (cb: () => void) => void queueMicrotask(cb);
const distribution = [
  { id: 97, piece: "a", prob: 0.5 },
  { id: 98, piece: "b", prob: 0.3 },
  { id: 99, piece: "c", prob: 0.15 },
  { id: 100, piece: "d", prob: 0.05 },
];
const model = { id: "m1", filePath: "/m/demo.gguf", name: "Demo", sha256: null, sizeBytes: 1, metadata: {}, addedAt: 0, available: true, loaded: null };
const now = 1;
const message = (id: string, content: string, parentId: string | null = "u1"): Message => ({
  id,
  conversationId: "c1",
  parentId,
  role: "assistant",
  content,
  status: "complete",
  error: null,
  createdAt: now,
  updatedAt: now,
  provenance: null,
});
const tokenProbs = (text: string): ResponseTokenProb[] =>
  [...text].map((ch, i) => ({
    id: ch.charCodeAt(0),
    piece: ch,
    prob: i === 1 ? 0.2 : 0.9,
    logprob: Math.log(i === 1 ? 0.2 : 0.9),
    rank: 1,
    alternatives: [
      { id: ch.charCodeAt(0), piece: ch, prob: 0.9, logprob: Math.log(0.9) },
      { id: 120, piece: "x", prob: 0.05, logprob: Math.log(0.05) },
    ],
  }));

/** Fake handlers for what the panel calls; `calls` records every call. */
function fakeApi() {
  const calls: { method: string; input: unknown }[] = [];
  const presets: Preset[] = [
    { id: "builtin-greedy", name: "Greedy", config: resolveSamplingConfig({ temperature: 0 }) as never, builtin: true, createdAt: now, updatedAt: now },
  ];
  let answer = message("a1", "abc");
  const rec = <T>(method: string, input: unknown, value: T): T => (calls.push({ method, input }), value);
  const sampling: Partial<HandlersOf<LatheContract>["sampling"]> = {
      explain: (input): ExplainResult =>
        rec("sampling.explain", input, {
          modelId: "m1",
          modelName: "Demo",
          contextTokens: 3,
          vocabSize: 4,
          distribution,
          rawEntropy: 1.1,
          recentTokens: [],
          newlineToken: null,
          tokenBias: [],
          eogTokens: [],
          config: input.config,
          explanation: explainSampling(distribution, input.config),
          engine: null,
        }),
      async *compare(input) {
        calls.push({ method: "sampling.compare", input });
        const packets: ComparePacket[] = input.columns.flatMap((_, column): ComparePacket[] => [
          { type: "start", column, label: `Col ${column + 1}`, config: resolveSamplingConfig({ seed: input.seed ?? 7 }), adapters: [] },
          { type: "fragment", column, text: "ab", tokens: [97, 98] },
          { type: "fragment", column, text: `${column}`, tokens: [48 + column] },
          { type: "done", column, text: `ab${column}`, tokens: [97, 98, 48 + column], seed: 7, stopReason: "maxTokens", timings: { ttftMs: 1, promptTokens: 2, cachedPromptTokens: 0, promptTokensPerS: 1, completionTokens: 3, tokensPerS: 42, totalMs: 5 } },
          { type: "tokens", column, tokens: tokenProbs(`ab${column}`) },
        ]);
        for (const p of packets) yield p;
      },
      messageTokens: (input) => rec("sampling.messageTokens", input, { messageId: input.messageId, modelId: "m1", tokens: tokenProbs(answer.content), sumLogprob: -1 }),
      async *branch(input) {
        calls.push({ method: "sampling.branch", input });
        const made = message("a2", "ax");
        yield { type: "fragment", text: "ax" };
        answer = made;
        yield { type: "done", message: made, stopReason: "eos", timings: null, contextTokens: null, contextSize: null };
      },
      tokenize: (input) =>
        rec("sampling.tokenize", input, {
          tokens: [
            { id: 104, piece: "h", special: false, bytes: 1 },
            { id: 258, piece: "<|im_end|>", special: true, bytes: 0 },
          ],
          count: 2,
          characters: 11,
          bytes: 11,
          bytesPerToken: 5.5,
          specialCount: 1,
        }),
      countTokens: (input) => rec("sampling.countTokens", input, { tokens: (input.text ?? "").length, contextSize: 100 }),
  };
  const handlers: Partial<HandlersOf<LatheContract>> = {
    models: {
      list: () => ({ models: [model], folder: "/m" }),
    } as never,
    presets: {
      list: () => presets,
      save: (input) => {
        calls.push({ method: "presets.save", input });
        const p: Preset = { id: input.id ?? `p${presets.length}`, name: input.name, config: input.config as never, builtin: false, createdAt: now, updatedAt: now };
        presets.push(p);
        return p;
      },
      delete: () => ({ deleted: true }),
    },
    history: {
      listConversations: () => [{ id: "c1", title: "Chat", modelId: "m1", modelFile: null, adapterSet: [], presetId: null, systemPrompt: "", currentLeafId: answer.id, pinned: false, tags: [], createdAt: now, updatedAt: now, messageCount: 2 }],
      getPath: () => ({ conversationId: "c1", leafId: answer.id, nodes: [{ message: { ...message("u1", "hi", null), role: "user" }, siblingIds: ["u1"], siblingIndex: 0 }, { message: answer, siblingIds: [answer.id], siblingIndex: 0 }] }),
    } as never,
    sampling: sampling as HandlersOf<LatheContract>["sampling"],
  };
  const [server, client] = createMemoryChannelPair();
  serveApi(contract, handlers, server);
  return { api: createApiClient(contract, client), calls, presets };
}

const finalBars = () => screen.queryAllByTestId("final-bar");

describe("SamplingPanel", () => {
  it("explains once, then follows the sliders live: temperature 0 leaves one bar at 100%, top-k 3 three bars", async () => {
    const { api, calls } = fakeApi();
    render(SamplingPanel, { api, frame: immediate });
    await vi.waitFor(() => expect((screen.getByTestId("sampling-model") as HTMLSelectElement).value).toBe("m1"));
    await fireEvent.click(screen.getByTestId("explain-run"));
    await vi.waitFor(() => expect(finalBars().length).toBeGreaterThan(0));
    // Defaults: top-p 0.95 stops at c (0.5 + 0.3 + 0.15).
    expect(finalBars().map((b) => b.dataset.token)).toEqual(["a", "b", "c"]);
    expect(screen.getAllByTestId("raw-bar")).toHaveLength(4);

    await fireEvent.input(screen.getByTestId("slider-temperature"), { target: { value: "0" } });
    expect(finalBars().map((b) => [b.dataset.token, b.dataset.prob])).toEqual([["a", "1"]]);
    expect(screen.getByTestId("kept-count").textContent).toBe("1");

    for (const [path, value] of [["temperature", "1"], ["topP", "1"], ["minP", "0"], ["topK", "3"]]) {
      await fireEvent.input(screen.getByTestId(`slider-${path}`), { target: { value } });
    }
    expect(finalBars()).toHaveLength(3);
    expect(screen.getByTestId("kept-count").textContent).toBe("3");
    const topK = screen.getAllByTestId("stage").find((s) => s.dataset.stage === "topK")!;
    expect(topK.dataset.kept).toBe("3");
    // No second round trip: the math ran in the page.
    expect(calls.filter((c) => c.method === "sampling.explain")).toHaveLength(1);
  });

  it("validates preset fields as they are typed, shows builtin reasons, and saves a valid draft as a new preset", async () => {
    const { api, calls } = fakeApi();
    render(SamplingPanel, { api, frame: immediate });
    await fireEvent.click(screen.getByTestId("sampling-tab-presets"));
    await vi.waitFor(() => expect(screen.getByTestId("preset-select").querySelectorAll("option")).toHaveLength(2));
    await fireEvent.change(screen.getByTestId("preset-select"), { target: { value: "builtin-greedy" } });
    expect(screen.getAllByTestId("reason")[0]!.textContent).toMatch(/argmax/);
    expect((screen.getByTestId("preset-save") as HTMLButtonElement).disabled).toBe(true); // builtin

    await fireEvent.input(screen.getByTestId("input-temperature"), { target: { value: "12" } });
    const field = screen.getAllByTestId("field").find((f) => f.dataset.path === "temperature")!;
    expect(within(field).getByTestId("field-error").textContent).toMatch(/10/);
    expect((screen.getByTestId("preset-save-as") as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.input(screen.getByTestId("input-temperature"), { target: { value: "0.7" } });
    await fireEvent.input(screen.getByTestId("input-tokenBias"), { target: { value: "1=nope" } });
    expect(screen.getAllByTestId("field-error").map((e) => e.textContent)).toEqual([expect.stringMatching(/line 1/)]);
    await fireEvent.input(screen.getByTestId("input-tokenBias"), { target: { value: '"the"=never' } });
    expect(screen.queryAllByTestId("field-error")).toHaveLength(0);
    await fireEvent.input(screen.getByTestId("preset-name"), { target: { value: "Mine" } });
    await fireEvent.click(screen.getByTestId("preset-save-as"));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "presets.save")).toBe(true));
    const saved = calls.find((c) => c.method === "presets.save")!.input as { name: string; config: { temperature: number; tokenBias: unknown[] } };
    expect(saved.name).toBe("Mine");
    expect(saved.config.temperature).toBe(0.7);
    expect(saved.config.tokenBias).toEqual([{ token: "the", logit: "never" }]);
  });

  it("fills comparison columns from one stream, with speed and shaded tokens", async () => {
    const { api, calls } = fakeApi();
    render(SamplingPanel, { api, frame: immediate });
    await vi.waitFor(() => expect((screen.getByTestId("sampling-model") as HTMLSelectElement).value).toBe("m1"));
    await fireEvent.click(screen.getByTestId("sampling-tab-compare"));
    await fireEvent.input(screen.getByTestId("compare-seed"), { target: { value: "5" } });
    await fireEvent.click(screen.getByTestId("compare-run"));
    await vi.waitFor(() => expect(screen.getAllByTestId("compare-column").every((c) => c.dataset.done === "true")).toBe(true));
    const input = calls.find((c) => c.method === "sampling.compare")!.input as { columns: unknown[]; sameSeed: boolean; seed: number };
    expect(input).toMatchObject({ sameSeed: true, seed: 5 });
    expect(input.columns).toHaveLength(3);
    expect(screen.getAllByTestId("compare-label").map((l) => l.textContent)).toEqual(["Col 1", "Col 2", "Col 3"]);
    expect(screen.getAllByTestId("compare-output").map((l) => l.textContent)).toEqual(["ab0", "ab1", "ab2"]);
    expect(screen.getAllByTestId("compare-speed")[0]!.textContent).toBe("42.0 tok/s");
    await vi.waitFor(() => expect(screen.getAllByTestId("compare-tokens")).toHaveLength(3));
  });

  it("branches an answer at a hovered token's alternative and shows the new branch", async () => {
    const { api, calls } = fakeApi();
    render(SamplingPanel, { api, frame: immediate });
    await fireEvent.click(screen.getByTestId("sampling-tab-tokens"));
    await fireEvent.focus(screen.getByTestId("tokens-conversation"));
    await vi.waitFor(() => expect(screen.getByTestId("tokens-conversation").querySelectorAll("option")).toHaveLength(2));
    await fireEvent.change(screen.getByTestId("tokens-conversation"), { target: { value: "c1" } });
    await vi.waitFor(() => expect(screen.getAllByTestId("token")).toHaveLength(3));
    const second = screen.getAllByTestId("token")[1]!;
    expect(Number(second.dataset.prob)).toBe(0.2);
    await fireEvent.mouseEnter(second);
    const alt = within(screen.getByTestId("alternatives")).getAllByTestId("alternative").find((a) => a.dataset.piece === "x")!;
    await fireEvent.click(alt);
    await vi.waitFor(() => expect(screen.getByTestId("branched-text").textContent).toBe("ax"));
    expect(calls.find((c) => c.method === "sampling.branch")!.input).toEqual({ messageId: "a1", tokenIndex: 1, tokenId: 120 });
    // The token view now shows the branch.
    await vi.waitFor(() => expect(screen.getAllByTestId("token").map((t) => t.textContent)).toEqual(["a", "x"]));
  });

  it("tokenizes text and counts a built prompt against the context", async () => {
    const { api } = fakeApi();
    render(SamplingPanel, { api, frame: immediate });
    await vi.waitFor(() => expect((screen.getByTestId("sampling-model") as HTMLSelectElement).value).toBe("m1"));
    await fireEvent.click(screen.getByTestId("sampling-tab-tokenizer"));
    await fireEvent.click(screen.getByTestId("tokenizer-run"));
    await vi.waitFor(() => expect(screen.getByTestId("tokenizer-count").textContent).toBe("2"));
    expect(screen.getAllByTestId("tokenizer-piece").map((p) => p.dataset.id)).toEqual(["104", "258"]);

    await fireEvent.click(screen.getByTestId("sampling-tab-builder"));
    await fireEvent.change(screen.getByTestId("builder-mode"), { target: { value: "zero" } });
    const preview = screen.getByTestId("builder-preview").textContent!;
    expect(preview).toBe("Answer with one word.\n\nInput: What sharpens a gouge?\nOutput:");
    await fireEvent.click(screen.getByTestId("builder-count"));
    await vi.waitFor(() => expect(screen.getByTestId("builder-budget-text").textContent).toMatch(new RegExp(`^${preview.length} / 100 tokens`)));
  });
});

describe("TokenText", () => {
  it("shades low-probability tokens more and offers no branching without onPick", async () => {
    render(TokenText, { tokens: tokenProbs("ab") });
    const [a, b] = screen.getAllByTestId("token");
    const alpha = (el: HTMLElement) => Number(/rgba\(.*,\s*([\d.]+)\)/.exec(el.style.backgroundColor)![1]);
    expect(alpha(b!)).toBeGreaterThan(alpha(a!));
    await fireEvent.mouseEnter(b!);
    expect(within(screen.getByTestId("alternatives")).getAllByTestId("alternative").every((x) => (x as HTMLButtonElement).disabled)).toBe(true);
  });
});

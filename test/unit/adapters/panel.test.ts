// @vitest-environment jsdom
// The Adapters panel in jsdom against a scripted API: the library table with badges and
// reasons, refusals with the conversion guide and "add anyway", tags, the conversation set
// editor (scale slider, apply, swap time), the compare view's first differing token, the
// scale-sweep chart with the mixed output in between, and the drift chart per position.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import AdaptersPanel from "../../../renderer/adapters/AdaptersPanel.svelte";
import type { Api } from "../../../renderer/api/connect.ts";
import { ApiError } from "../../../core/api/errors.ts";
import type { AdapterComparePacket, AdapterEntry, DriftPacket, ScaleSweepPacket } from "../../../core/api/adapters.ts";
import type { ConversationSummary } from "../../../core/history/types.ts";

const plus2: AdapterEntry = {
  id: "a1",
  filePath: "/data/adapters/successor-plus2.gguf",
  name: "Successor +2",
  sha256: "ab".repeat(32),
  metadata: { architecture: "llama", rank: 259, loraAlpha: 259, targets: ["output.weight"] },
  tags: ["demo"],
  notes: "",
  addedAt: 1,
  available: true,
  sizeBytes: 400_000,
  compatibility: [
    { modelId: "m1", modelName: "Successor", compatible: true, reason: null },
    { modelId: "m2", modelName: "Other", compatible: false, reason: "llama.cpp: tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?) — LoRA for ..." },
  ],
};
const conversation: ConversationSummary = {
  id: "c1",
  title: "Letters",
  modelId: "m1",
  modelFile: "successor.gguf",
  adapterSet: [],
  presetId: null,
  systemPrompt: "",
  currentLeafId: null,
  pinned: false,
  tags: [],
  createdAt: 1,
  updatedAt: 1,
  messageCount: 2,
};
const model = (id: string, name: string) => ({ id, name, filePath: `/m/${id}.gguf`, sha256: null, sizeBytes: 1, metadata: {}, addedAt: 1, available: true, loaded: null });

async function* packets<T>(list: T[]): AsyncGenerator<T> {
  for (const p of list) {
    await Promise.resolve();
    yield p;
  }
}

function fakeApi() {
  const calls = {
    add: vi.fn(async (input: { path: string; force?: boolean }) => {
      if (input.path.endsWith(".safetensors")) {
        throw new ApiError("invalid_input", "adapter_model.safetensors is a PEFT (Hugging Face) adapter ...", { refusal: "safetensors", guide: "docs/lora-conversion.md" });
      }
      if (!input.force) throw new ApiError("invalid_input", "wide.gguf fits none of your models (built for another base?). Successor: llama.cpp: tensor 'output.weight' has incorrect shape", {
          refusal: "wrong_base",
          compatibility: [{ modelId: "m1", modelName: "Successor", compatible: false, reason: "llama.cpp: tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?)" }],
        });
      return plus2;
    }),
    update: vi.fn(async (input: { id: string; tags?: string[] }) => ({ ...plus2, tags: input.tags ?? plus2.tags })),
    updateConversation: vi.fn(async (input: { id: string; patch: { adapterSet?: ConversationSummary["adapterSet"] } }) => ({ ...conversation, ...input.patch })),
    prepare: vi.fn(async () => ({ modelId: "m1", adapters: [{ adapterId: "a1", file: plus2.filePath, sha256: plus2.sha256, scale: 0.5 }], swapMs: 12.4, contextCreated: true, modelLoaded: false, modelLoads: 1 })),
    compare: vi.fn(),
    scaleSweep: vi.fn(),
    drift: vi.fn(),
  };
  const api = {
    adapters: {
      list: async () => ({ adapters: [plus2], folder: "/data/adapters" }),
      add: calls.add,
      update: calls.update,
      remove: async () => ({ removed: true }),
      scan: async () => ({ folder: "/data/adapters", added: [], known: 1, refused: [] }),
      prepare: calls.prepare,
      compare: (input: unknown) => {
        calls.compare(input);
        const tok = (c: string, p: number) => ({ id: c.charCodeAt(0), piece: c, otherProb: p, otherLogprob: Math.log(p), otherRank: p > 0.5 ? 1 : 4 });
        return packets<AdapterComparePacket>([
          { type: "start", side: 0, label: "base", adapters: [], config: {} as never },
          { type: "start", side: 1, label: "Successor +2 ×0.5", adapters: [], config: {} as never },
          { type: "fragment", side: 0, text: "cde", tokens: [99, 100, 101] },
          { type: "fragment", side: 1, text: "ceg", tokens: [99, 101, 103] },
          { type: "done", side: 0, text: "cde", tokens: [99, 100, 101], stopReason: "maxTokens", timings: {} as never },
          { type: "done", side: 1, text: "ceg", tokens: [99, 101, 103], stopReason: "maxTokens", timings: {} as never },
          { type: "tokens", side: 0, tokens: [tok("c", 0.88), tok("d", 0.01), tok("e", 0.02)] },
          { type: "tokens", side: 1, tokens: [tok("c", 0.99), tok("e", 0.001), tok("g", 0.002)] },
          { type: "difference", firstDifference: 1, commonPrefix: 1 },
        ]);
      },
      scaleSweep: (input: unknown) => {
        calls.scaleSweep(input);
        const point = (index: number, scale: number, text: string, refAgreement: number) => ({
          index,
          scale,
          text,
          tokenIds: [],
          stopReason: "maxTokens" as const,
          metrics: { refAgreement, meanLogprobRef: -refAgreement - 0.5, perplexityRef: 1, tokens: 4 },
        });
        const points = [point(0, 0, "cdef", 1), point(1, 0.5, "cegi", 0.25), point(2, 1, "dfhj", 0)];
        return packets<ScaleSweepPacket>([...points.map((p) => ({ type: "point" as const, point: p })), { type: "done", points, seed: 7, adapter: {} as never, others: [] }]);
      },
      drift: (input: unknown) => {
        calls.drift(input);
        const tokens = [..."he quick"].map((c, i) => ({ id: c.charCodeAt(0), piece: c, kl: i === 3 ? 9 : 6, logprobBase: -0.1, logprobSet: -9 }));
        const summary = { tokens: 8, meanKl: 6.375, maxKl: 9, perplexityBase: 1.1, perplexitySet: 8100 };
        return packets<DriftPacket>([
          { type: "progress", done: 0, total: 1, label: "Text 1 of 1" },
          { type: "text", index: 0, tokens, summary },
          { type: "done", summary, maxAt: { text: 0, position: 3 }, adapters: [] },
        ]);
      },
    },
    models: { list: async () => ({ models: [model("m1", "Successor"), model("m2", "Other")], folder: "/m" }) },
    history: {
      listConversations: async () => [conversation],
      getPath: async () => ({ conversationId: "c1", leafId: null, nodes: [] }),
      updateConversation: calls.updateConversation,
    },
  };
  return { api: api as unknown as Api, calls };
}

async function openTab(name: string) {
  await fireEvent.click(screen.getByTestId(`adapters-tab-${name}`));
}

describe("AdaptersPanel", () => {
  it("shows the library with metadata and a badge per model, the mismatch reason visible", async () => {
    render(AdaptersPanel, { api: fakeApi().api });
    const row = await vi.waitFor(() => screen.getByTestId("adapter-row"));
    expect(row.getAttribute("data-name")).toBe("Successor +2");
    expect(within(row).getByTestId("adapter-rank").textContent).toBe("259 / 259");
    const badges = within(row).getAllByTestId("compat-badge");
    expect(badges.map((b) => [b.getAttribute("data-model"), b.getAttribute("data-compatible")])).toEqual([
      ["Successor", "true"],
      ["Other", "false"],
    ]);
    expect(within(row).getByTestId("compat-reason").textContent).toMatch(/incorrect shape \(hint: maybe wrong base model\?\)/);
    expect(screen.getByTestId("adapters-folder").textContent).toBe("/data/adapters");
  });

  it("shows why a file was refused: the conversion guide for PEFT, 'add anyway' for another base", async () => {
    const { api, calls } = fakeApi();
    render(AdaptersPanel, { api });
    const input = await vi.waitFor(() => screen.getByTestId("adapter-path"));
    await fireEvent.input(input, { target: { value: "/run/adapter_model.safetensors" } });
    await fireEvent.click(screen.getByTestId("adapter-add"));
    const problem = await vi.waitFor(() => screen.getByTestId("adapter-add-error"));
    expect(problem.getAttribute("data-refusal")).toBe("safetensors");
    expect(screen.getByTestId("adapter-conversion-guide").textContent).toMatch(/docs\/lora-conversion\.md.*convert_lora_to_gguf\.py/);

    await fireEvent.input(input, { target: { value: "/x/wide.gguf" } });
    await fireEvent.click(screen.getByTestId("adapter-add"));
    await vi.waitFor(() => expect(screen.getByTestId("adapter-add-error").getAttribute("data-refusal")).toBe("wrong_base"));
    expect(screen.queryByTestId("adapter-conversion-guide")).toBeNull();
    expect(screen.getAllByTestId("adapter-add-reason").map((r) => r.textContent)).toEqual([
      "Successor: llama.cpp: tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?)",
    ]);
    await fireEvent.click(screen.getByTestId("adapter-add-anyway"));
    await vi.waitFor(() => expect(calls.add).toHaveBeenLastCalledWith({ path: "/x/wide.gguf", force: true }));
    await vi.waitFor(() => expect(screen.queryByTestId("adapter-add-error")).toBeNull());
  });

  it("saves tags as a list", async () => {
    const { api, calls } = fakeApi();
    render(AdaptersPanel, { api });
    const tags = await vi.waitFor(() => screen.getByTestId("adapter-tags"));
    await fireEvent.change(tags, { target: { value: "rule, demo, rule ,  " } });
    expect(calls.update).toHaveBeenCalledWith({ id: "a1", tags: ["rule", "demo"] });
  });

  it("edits a conversation's set with a scale slider, applies it and shows the swap time", async () => {
    const { api, calls } = fakeApi();
    render(AdaptersPanel, { api });
    await openTab("apply");
    const pick = await vi.waitFor(() => screen.getByTestId("apply-conversation"));
    await vi.waitFor(() => expect(pick.querySelectorAll("option")).toHaveLength(2));
    await fireEvent.change(pick, { target: { value: "c1" } });
    await vi.waitFor(() => screen.getByTestId("apply-set-choose"));
    const choose = screen.getByTestId("apply-set-choose") as HTMLSelectElement;
    // An adapter that does not fit the conversation's model cannot be chosen.
    expect([...choose.options].map((o) => [o.value, o.disabled])).toEqual([
      ["", false],
      ["a1", false],
    ]);
    await fireEvent.change(choose, { target: { value: "a1" } });
    await fireEvent.click(screen.getByTestId("apply-set-add"));
    const slider = await vi.waitFor(() => screen.getByTestId("apply-set-scale"));
    expect(slider.getAttribute("min")).toBe("-2");
    expect(slider.getAttribute("max")).toBe("2");
    await fireEvent.input(slider, { target: { value: "0.5" } });
    await vi.waitFor(() => expect(screen.getByTestId("apply-set-item").getAttribute("data-scale")).toBe("0.5"));
    await fireEvent.click(screen.getByTestId("apply-set-save"));
    const result = await vi.waitFor(() => screen.getByTestId("swap-result"));
    expect(calls.updateConversation).toHaveBeenCalledWith({ id: "c1", patch: { adapterSet: [{ adapterId: "a1", file: plus2.filePath, sha256: plus2.sha256, scale: 0.5 }] } });
    expect(calls.prepare).toHaveBeenCalledWith({ conversationId: "c1" });
    expect(screen.getByTestId("swap-ms").textContent).toBe("12 ms");
    expect(result.textContent).toMatch(/the base model was not reloaded/);
    expect(result.getAttribute("data-model-loads")).toBe("1");
  });

  it("compares two sets and highlights the first differing token with the other side's probability", async () => {
    const { api, calls } = fakeApi();
    render(AdaptersPanel, { api });
    await openTab("compare");
    await vi.waitFor(() => expect((screen.getByTestId("compare-model") as HTMLSelectElement).value).toBe("m1"));
    await fireEvent.input(screen.getByTestId("compare-prompt"), { target: { value: "b" } });
    await fireEvent.click(screen.getByTestId("compare-run"));
    await vi.waitFor(() => expect(screen.getAllByTestId("first-diff")).toHaveLength(2));
    expect(calls.compare).toHaveBeenCalledWith(expect.objectContaining({ modelId: "m1", prompt: { text: "b", chat: true }, setA: [], setB: [], maxTokens: 32 }));
    const [left, right] = screen.getAllByTestId("first-diff");
    expect([left!.textContent, right!.textContent]).toEqual(["d", "e"]);
    expect(left!.getAttribute("title")).toBe("the other side gave this token 1.0% (rank 4)");
    expect(screen.getByTestId("compare-summary").textContent).toMatch(/part at token 2/);
  });

  it("sweeps scales and charts the metric, the mixed output in the middle", async () => {
    const { api, calls } = fakeApi();
    render(AdaptersPanel, { api });
    await openTab("sweep");
    await vi.waitFor(() => screen.getByTestId("sweep-adapter"));
    await fireEvent.change(screen.getByTestId("sweep-adapter"), { target: { value: "a1" } });
    await fireEvent.input(screen.getByTestId("sweep-scales"), { target: { value: "0, 0.5, ..., 1" } });
    await fireEvent.click(screen.getByTestId("sweep-run"));
    await vi.waitFor(() => expect(screen.getAllByTestId("sweep-chart-point")).toHaveLength(3));
    expect(calls.scaleSweep).toHaveBeenCalledWith(expect.objectContaining({ adapter: { adapterId: "a1" }, scales: [0, 0.5, 1] }));
    const pts = screen.getAllByTestId("sweep-chart-point").map((p) => [Number(p.getAttribute("data-x")), Number(p.getAttribute("data-y"))]);
    expect(pts).toEqual([
      [0, 1],
      [0.5, 0.25],
      [1, 0],
    ]);
    expect(screen.getAllByTestId("sweep-output").map((o) => o.textContent)).toEqual(["cdef", "cegi", "dfhj"]);
    await fireEvent.change(screen.getByTestId("sweep-metric"), { target: { value: "meanLogprobRef" } });
    await vi.waitFor(() => expect(screen.getAllByTestId("sweep-chart-point").map((p) => Number(p.getAttribute("data-y")))).toEqual([-1.5, -0.75, -0.5]));
  });

  it("measures drift and charts KL per position with the largest marked", async () => {
    const { api, calls } = fakeApi();
    render(AdaptersPanel, { api });
    await openTab("drift");
    await vi.waitFor(() => expect((screen.getByTestId("drift-model") as HTMLSelectElement).value).toBe("m1"));
    await fireEvent.input(screen.getByTestId("drift-text"), { target: { value: "The quick\n\n" } });
    await fireEvent.click(screen.getByTestId("drift-run"));
    await vi.waitFor(() => expect(screen.getAllByTestId("drift-chart-bar")).toHaveLength(8));
    expect(calls.drift).toHaveBeenCalledWith({ modelId: "m1", adapters: [], texts: ["The quick"] });
    expect(screen.getAllByTestId("drift-chart-bar").map((b) => Number(b.getAttribute("data-y")))[3]).toBe(9);
    expect(screen.getByTestId("drift-chart-highlight")).toBeTruthy();
    expect(screen.getByTestId("drift-mean-kl").textContent).toBe("6.3750 nats");
    expect(screen.getByTestId("drift-ppl-set").textContent).toBe("8100.000");
  });
});

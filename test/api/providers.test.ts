// Remote providers end to end: a second `lathe serve` on loopback plays the remote server
// (its /v1 API and token), the first adds it as a provider, tests it, and chats and runs a
// generation suite through it; greedy results match the same model run locally. Also: the
// honest capability probe, refusals, unreachable and bad-key errors, and cancel mid-stream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import type { ChatPacket, EvalRunPacket, Provider } from "../../core/api/index.ts";
import { remoteModelHandle, remoteModelPath } from "../../core/api/providers.ts";
import type { Engine } from "../../core/engine/port.ts";
import type { Run } from "../../core/evaluation/types.ts";
import { RemoteEngine } from "../../engine/remote/RemoteEngine.ts";
import { collect, startTestLathe, successorText, type TestLathe } from "../helpers/lathe.ts";

let remote: TestLathe;
let local: TestLathe;
let localSuccessorId = "";
const successorName = "Successor (demo: next letter)";
const greedy = "builtin-greedy";

beforeAll(async () => {
  [remote, local] = await Promise.all([startTestLathe(), startTestLathe()]);
  await collect(remote.api.models.createDemo({}));
  const done = (await collect(local.api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not written");
  localSuccessorId = done.models.find((m) => m.name === successorName)!.id;
});
afterAll(async () => {
  await Promise.all([local?.close(), remote?.close()]);
});

const doneOf = (packets: ChatPacket[]) => {
  const d = packets.at(-1);
  if (d?.type !== "done") throw new Error(`stream did not end with done: ${JSON.stringify(d)}`);
  return d;
};
const finalRun = (packets: EvalRunPacket[]): Run => {
  const last = packets.at(-1);
  if (last?.type !== "done") throw new Error(`run did not finish: ${JSON.stringify(last)}`);
  return last.run;
};
const remoteModel = (p: Provider, name = successorName) => p.models.find((m) => m.remoteModel === name)!;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

describe("remote providers against a second lathe serve", () => {
  let gpu: Provider;

  it("adds a provider, masks its key and probes capabilities honestly", async () => {
    const token = remote.lathe.http.token;
    const added = await local.api.providers.add({ name: "gpu-box", baseUrl: `${remote.lathe.http.origin}/`, apiKey: token, concurrency: 3 });
    expect(added.baseUrl).toBe(remote.lathe.http.origin);
    expect(added.apiKeyMasked).toBe(`••••${token.slice(-4)}`);
    expect(JSON.stringify(await local.api.providers.list({}))).not.toContain(token);
    expect(added.lastTest).toBeNull();

    gpu = await local.api.providers.test({ id: added.id });
    const t = gpu.lastTest!;
    expect(t.ok).toBe(true);
    expect(t.error).toBeNull();
    expect(t.models.sort()).toEqual(["Bigram workshop (demo)", successorName]);
    expect(t.probedModel).toBe(t.models[0]);
    expect(t.capabilities!.streaming.supported).toBe(true);
    expect(t.capabilities!.logprobs.supported).toBe(true);
    // Lathe's /v1/completions refuses echo, so log-likelihood scoring must not be offered.
    expect(t.capabilities!.promptLogprobs).toEqual({ supported: false, detail: expect.stringMatching(/HTTP 400.*echo/) });
    expect(gpu.models.map((m) => m.label).sort()).toEqual(["gpu-box / Bigram workshop (demo)", `gpu-box / ${successorName}`]);

    const catalog = (await local.api.models.list({})).models.find((m) => m.id === remoteModel(gpu).catalogId)!;
    expect(catalog).toMatchObject({ name: `gpu-box / ${successorName}`, filePath: remoteModelPath(gpu.id, successorName), available: true });
    await expect(local.api.providers.add({ name: "gpu-box", baseUrl: "http://127.0.0.1:1" })).rejects.toMatchObject({ code: "conflict" });
  });

  it("chats through the provider with exactly the local greedy answer, recording provider and model", async () => {
    const localConv = await local.api.history.createConversation({ modelId: localSuccessorId, presetId: greedy });
    const remoteConv = await local.api.history.createConversation({ modelId: remoteModel(gpu).catalogId, presetId: greedy });
    const here = doneOf(await collect(local.api.chat.send({ conversationId: localConv.id, content: "abc" })));
    const packets = await collect(local.api.chat.send({ conversationId: remoteConv.id, content: "abc" }));
    const there = doneOf(packets);
    expect(there.stopReason).toBe(here.stopReason);
    expect(there.message.status).toBe("complete");
    expect(there.message.content).toBe(here.message.content);
    expect(there.message.content.startsWith(successorText("\n", 20))).toBe(true);
    expect(packets.filter((p) => p.type === "fragment").map((p) => (p as { text: string }).text).join("")).toBe(here.message.content);
    expect(there.timings!.completionTokens).toBe(here.timings!.completionTokens);
    expect(there.timings!.promptTokens).toBe(here.timings!.promptTokens);
    const p = there.message.provenance!;
    expect(p.modelFile).toBe(successorName);
    expect(p.modelMetadata).toMatchObject({ remote: true, provider: "gpu-box", providerId: gpu.id, remoteModel: successorName, backend: "remote", architecture: "remote" });
    expect(p.llamaCppVersion).toBeNull();
  });

  it("runs a builtin generation suite remotely with the local metric numbers, several items in flight", async () => {
    const suite = (await local.api.evaluation.listSuites({})).find((s) => s.name === "Demo: next three characters")!;
    const here = finalRun(await collect(local.api.evaluation.run({ suiteId: suite.id, modelId: localSuccessorId })));
    const packets = await collect(local.api.evaluation.run({ suiteId: suite.id, modelId: remoteModel(gpu).catalogId }));
    const there = finalRun(packets);
    expect(there.status).toBe("complete");
    expect(there.modelName).toBe(`gpu-box / ${successorName}`);
    expect(there.metrics).toEqual(here.metrics);
    expect(there.metrics.find((m) => m.name === "exact_match")!.score).toBe(1);
    const a = await local.api.evaluation.getRun({ id: here.id });
    const b = await local.api.evaluation.getRun({ id: there.id });
    const byIndex = (d: typeof a) => [...d.results].sort((x, y) => x.index - y.index).map((r) => [r.index, r.prediction]);
    expect(byIndex(b)).toEqual(byIndex(a));
    const progress = packets.filter((x) => x.type === "progress" && !x.label.startsWith("Loading")).map((x) => (x as { done: number }).done);
    expect(progress).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("refuses log-likelihood suites on a provider without prompt log-probabilities, naming why", async () => {
    const mc = (await local.api.evaluation.listSuites({})).find((s) => s.task === "multiple_choice")!;
    await expect(collect(local.api.evaluation.run({ suiteId: mc.id, modelId: remoteModel(gpu).catalogId }))).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/gpu-box cannot score multiple-choice items: .*prompt log-probabilities \(echo \+ logprobs/),
    });
  });

  it("reports an unreachable endpoint clearly", async () => {
    const port = await closedPort();
    const p = await local.api.providers.add({ name: "nowhere", baseUrl: `http://127.0.0.1:${port}/v1` });
    const tested = await local.api.providers.test({ id: p.id });
    expect(tested.lastTest).toMatchObject({ ok: false, models: [], capabilities: null });
    expect(tested.lastTest!.error).toBe(`Cannot reach nowhere at http://127.0.0.1:${port}/v1/models: connection refused: nothing is listening there.`);
    expect(tested.models).toEqual([]);
    expect(await local.api.providers.remove({ id: p.id })).toEqual({ removed: true });
  });

  it("reports a refused key as a 401, in the test and in chat", async () => {
    const p = await local.api.providers.add({ name: "wrong-key", baseUrl: remote.lathe.http.origin, apiKey: "not-the-token" });
    const tested = await local.api.providers.test({ id: p.id });
    expect(tested.lastTest!.ok).toBe(false);
    expect(tested.lastTest!.error).toMatch(/^wrong-key refused the API key \(HTTP 401\): Incorrect API key provided/);

    // A key changed after the models were listed: the chat answer fails with the same reason.
    await local.api.providers.update({ id: gpu.id, apiKey: "stale" });
    const loaded = await local.api.history.createConversation({ modelId: remoteModel(gpu).catalogId, presetId: greedy });
    const done = doneOf(await collect(local.api.chat.send({ conversationId: loaded.id, content: "x" })));
    expect(done.stopReason).toBe("error");
    expect(done.message.error).toMatch(/^gpu-box refused the API key \(HTTP 401\): Incorrect API key provided/);
    // A model not used before is checked against the server's list first: the send itself fails.
    const fresh = await local.api.history.createConversation({ modelId: remoteModel(gpu, "Bigram workshop (demo)").catalogId, presetId: greedy });
    await expect(collect(local.api.chat.send({ conversationId: fresh.id, content: "x" }))).rejects.toMatchObject({
      code: "unauthorized",
      message: expect.stringMatching(/^gpu-box refused the API key \(HTTP 401\)/),
    });
    gpu = await local.api.providers.update({ id: gpu.id, apiKey: remote.lathe.http.token });
    expect(gpu.lastTest).toBeNull(); // a new key forgets the old probe
    gpu = await local.api.providers.test({ id: gpu.id });
    expect(gpu.lastTest!.ok).toBe(true);
  });

  it("stops the remote generation when the chat is cancelled mid-stream", async () => {
    const busyNow = async () => (await remote.lathe.engine.status()).models.flatMap((m) => m.contexts).reduce((n, c) => n + c.busy, 0);
    const idle = await busyNow();
    expect(idle).toBe(0);
    const preset = await local.api.presets.save({ name: "greedy-long", config: { temperature: 0, topK: 0, topP: 1, minP: 0, maxTokens: 100_000 } });
    const conv = await local.api.history.createConversation({ modelId: remoteModel(gpu).catalogId, presetId: preset.id });
    const ac = new AbortController();
    let fragments = 0;
    const seen: ChatPacket[] = [];
    try {
      for await (const p of local.api.chat.send({ conversationId: conv.id, content: "go" }, { signal: ac.signal })) {
        seen.push(p);
        // Early: fragments come at most one per 16 ms, each with many tokens of this fast model.
        if (p.type === "fragment" && ++fragments === 2) ac.abort();
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    }
    expect(fragments).toBeGreaterThanOrEqual(2);
    // The remote engine frees its sequence soon after (100k tokens would take minutes).
    let busy = idle + 1;
    for (let i = 0; i < 60 && busy > idle; i++) {
      await new Promise((r) => setTimeout(r, 50));
      busy = await busyNow();
    }
    expect(busy).toBe(idle);
    let stored = null;
    for (let i = 0; i < 40 && stored?.status !== "stopped"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const path = await local.api.history.getPath({ conversationId: conv.id });
      stored = path.nodes.at(-1)!.message;
    }
    expect(stored!.role).toBe("assistant");
    expect(stored!.status).toBe("stopped");
    expect(stored!.content.length).toBeLessThan(5000);
    expect(successorText("\n", stored!.content.length)).toBe(stored!.content);
  });

  it("serves logprobs of its own generations and refuses what a remote server cannot do, naming both", async () => {
    const engine: Engine = new RemoteEngine({
      id: gpu.id,
      name: "gpu-box",
      baseUrl: `${remote.lathe.http.origin}/v1`,
      apiKey: remote.lathe.http.token,
      concurrency: 1,
      capabilities: gpu.lastTest!.capabilities,
    });
    const modelId = remoteModelHandle(gpu.id, successorName);
    const prompt = { kind: "chat" as const, messages: [{ role: "user" as const, content: "abc" }] };
    let text = "";
    for await (const p of engine.generate({ modelId, prompt, sampling: { temperature: 0 }, maxTokens: 4 })) if (p.type === "done") text = p.text;
    expect(text).toBe(successorText("\n", 4));
    const probs = await engine.tokenProbabilities({ modelId, prompt, response: text, topN: 2 });
    expect(probs.tokens.map((t) => t.piece).join("")).toBe(text);
    for (const t of probs.tokens) {
      expect(t.rank).toBe(1);
      expect(t.alternatives).toHaveLength(2);
      expect(t.logprob).toBeLessThanOrEqual(0);
    }
    await expect(engine.tokenProbabilities({ modelId, prompt, response: "other" })).rejects.toMatchObject({ reason: "unsupported" });
    await expect(engine.tokenize({ modelId, prompt })).rejects.toMatchObject({ reason: "unsupported", message: expect.stringMatching(/^gpu-box .*cannot tokenize text/) });
    await expect(engine.logLikelihood({ modelId, context: "ab", continuations: ["c"] })).rejects.toMatchObject({
      reason: "unsupported",
      message: expect.stringMatching(/gpu-box .*prompt log-probabilities/),
    });
    const adapters = engine.generate({ modelId, prompt, adapters: [{ path: "/x.gguf", scale: 1 }] });
    await expect(collect(adapters)).rejects.toThrow(/gpu-box .*cannot apply LoRA adapters/);
    await engine.dispose();
  });

  it("removes a provider and its models from the catalog", async () => {
    const p = await local.api.providers.add({ name: "temp", baseUrl: remote.lathe.http.origin, apiKey: remote.lathe.http.token });
    const tested = await local.api.providers.test({ id: p.id, model: "Bigram workshop (demo)" });
    expect(tested.lastTest!.probedModel).toBe("Bigram workshop (demo)");
    expect((await local.api.models.list({})).models.filter((m) => m.name.startsWith("temp / "))).toHaveLength(2);
    expect(await local.api.providers.remove({ id: p.id })).toEqual({ removed: true });
    expect((await local.api.models.list({})).models.filter((m) => m.name.startsWith("temp / "))).toEqual([]);
    expect((await local.api.providers.list({})).map((x) => x.name)).toEqual(["gpu-box", "wrong-key"]);
  });
});

// Handlers for the `feedback` domain: comparisons of k responses (generated with seeds
// or presets, typed in, or a critique run's initial vs final answer), human rankings
// turned into pairwise preferences, AI judging in both orders through core/critique's
// judge, and human-vs-AI agreement. Shares model loading and provenance with critique.ts.
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { feedbackApi } from "../api/feedback.ts";
import { judgeAgreement } from "../critique/agreement.ts";
import { judgePair } from "../critique/judge.ts";
import { tiersProblem } from "../critique/ranking.ts";
import type { Comparison, Preference } from "../critique/types.ts";
import type { DonePacket } from "../engine/types.ts";
import { resolveSamplingConfig, type SamplingConfig } from "../sampling/config.ts";
import { describeEngineFailure } from "./chat.ts";
import { constitutionOf, generationProvenance, loadCatalogModel, resolveSampling, type CritiqueDeps } from "./critique.ts";

export function feedbackHandlers(deps: CritiqueDeps): DomainHandlers<typeof feedbackApi> {
  const store = deps.critique;
  const newSeed = deps.newSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]!);

  async function comparisonOf(id: string): Promise<Comparison> {
    const c = await store.getComparison(id);
    if (!c) throw new ApiError("not_found", `No comparison with id ${id}.`);
    return c;
  }

  return {
    async *generate(input, ctx) {
      // The configs first, so a bad preset fails before anything is stored.
      const plan: { label: string; sampling: SamplingConfig }[] = [];
      if (input.variation === "presets") {
        for (const presetId of input.presetIds!) {
          const preset = await deps.presets.getPreset(presetId);
          if (!preset) throw new ApiError("not_found", `No preset with id ${presetId}.`);
          let sampling = resolveSamplingConfig(preset.config as never);
          if (input.maxTokens) sampling = { ...sampling, maxTokens: input.maxTokens };
          if (sampling.temperature > 0 && sampling.seed === undefined) sampling = { ...sampling, seed: newSeed() };
          plan.push({ label: preset.name, sampling });
        }
      } else {
        const base = await resolveSampling(deps.presets, { presetId: input.presetId, maxTokens: input.maxTokens });
        const seeds = input.seeds ?? Array.from({ length: input.k }, (_, i) => input.firstSeed + i);
        for (const seed of seeds) plan.push({ label: `seed ${seed}`, sampling: { ...base, seed } });
      }
      const m = yield* loadCatalogModel(deps, input.modelId, ctx.signal);
      let comparison = await store.createComparison({ prompt: input.prompt, systemPrompt: input.systemPrompt, source: "generated" });
      yield { type: "comparison", comparison };
      for (const [index, item] of plan.entries()) {
        if (ctx.signal.aborted) break;
        yield { type: "start", index, label: item.label };
        const startedAt = Date.now();
        let done: DonePacket | null = null;
        try {
          for await (const p of deps.sessions.engine.generate(
            {
              modelId: m.info.id,
              prompt: { kind: "chat", messages: [{ role: "user", content: input.prompt }], ...(input.systemPrompt ? { systemPrompt: input.systemPrompt } : {}) },
              sampling: item.sampling,
            },
            { signal: ctx.signal },
          )) {
            if (p.type === "fragment") {
              if (p.text) yield { type: "fragment", index, text: p.text };
            } else done = p;
          }
        } catch (err) {
          if (ctx.signal.aborted) break;
          yield { type: "error", item: index, message: describeEngineFailure(err) };
          continue;
        }
        if (!done || done.stopReason === "abort") break;
        const response = await store.addComparisonResponse(comparison.id, {
          text: done.text.trim(),
          label: item.label,
          provenance: generationProvenance(m, item.sampling, startedAt, done, deps.appVersion),
        });
        yield { type: "response", response };
      }
      comparison = await comparisonOf(comparison.id);
      yield { type: "done", comparison };
    },
    addComparison: (input) =>
      store.createComparison({
        prompt: input.prompt,
        systemPrompt: input.systemPrompt,
        source: "manual",
        responses: input.responses.map((r) => ({ text: r.text, label: r.label, provenance: null })),
      }),
    async fromRun(input) {
      const run = await store.getRun(input.runId);
      if (!run) throw new ApiError("not_found", `No critique run with id ${input.runId}.`);
      if (run.status !== "complete" || run.final === null || run.steps.length === 0) {
        throw new ApiError("invalid_input", "Only a complete run can be compared (it needs an initial and a final answer).");
      }
      const first = run.steps[0]!;
      const revised = [...run.steps].reverse().find((s) => s.provenance && s.kind === "round");
      return store.createComparison({
        prompt: run.prompt,
        systemPrompt: run.systemPrompt,
        source: "critique",
        runId: run.id,
        responses: [
          { text: first.text, label: "initial", provenance: first.provenance },
          { text: run.final, label: "final", provenance: revised?.provenance ?? first.provenance },
        ],
      });
    },
    listComparisons: (input) => store.listComparisons(input),
    getComparison: (input) => comparisonOf(input.id),
    deleteComparison: async (input) => ({ deleted: await store.deleteComparison(input.id) }),

    async rank(input) {
      const c = await comparisonOf(input.comparisonId);
      const problem = tiersProblem(input.tiers, c.responses.length);
      if (problem) throw new ApiError("invalid_input", `Invalid ranking (tiers): ${problem}.`);
      return store.saveRanking({ comparisonId: c.id, annotator: input.annotator, guideline: input.guideline, tiers: input.tiers });
    },
    rankings: async (input) => {
      await comparisonOf(input.comparisonId);
      return store.listRankings(input.comparisonId);
    },

    async *judge(input, ctx) {
      const c = await comparisonOf(input.comparisonId);
      const n = c.responses.length;
      if (n < 2) throw new ApiError("invalid_input", "A comparison needs at least two responses to judge.");
      const constitution = await constitutionOf(store, input.constitutionId, input.constitutionVersion);
      const principles = input.principleIds
        ? input.principleIds.map((pid) => {
            const p = constitution.principles.find((x) => x.id === pid);
            if (!p) throw new ApiError("invalid_input", `principleIds: "${pid}" is not a principle of ${constitution.name} v${constitution.version}.`);
            return p;
          })
        : constitution.principles;
      const pairs: [number, number][] = [];
      for (const [x, y] of input.pairs ?? Array.from({ length: n }, (_, a) => Array.from({ length: n - a - 1 }, (_, k) => [a, a + k + 1] as [number, number])).flat()) {
        if (x === y || x >= n || y >= n) throw new ApiError("invalid_input", `pairs: [${x}, ${y}] is not a pair of two of the ${n} responses.`);
        pairs.push(x < y ? [x, y] : [y, x]);
      }
      const sampling = await resolveSampling(deps.presets, { presetId: input.presetId, sampling: input.sampling });
      const m = yield* loadCatalogModel(deps, input.modelId, ctx.signal);
      const stored: Preference[] = [];
      for (const [i, [a, b]] of pairs.entries()) {
        yield { type: "progress", done: i, total: pairs.length, label: `Judging pair ${i + 1} of ${pairs.length}` };
        const judging = judgePair(
          deps.sessions.engine,
          { prompt: c.prompt, a: c.responses[a]!.text, b: c.responses[b]!.text, principles },
          {
            modelId: m.info.id,
            sampling,
            constrain: input.constrain,
            ...(input.systemPrompt ? { systemPrompt: input.systemPrompt } : {}),
            signal: ctx.signal,
          },
        );
        let next = await judging.next();
        while (!next.done) {
          const e = next.value;
          yield e.type === "judging" ? { type: "judging", a, b, order: e.order } : { type: "verdict", a, b, order: e.order };
          next = await judging.next();
        }
        const r = next.value;
        const preference = await store.addPreference({
          comparisonId: c.id,
          source: "ai",
          a,
          b,
          winner: r.winner,
          annotator: null,
          guideline: null,
          rankingId: null,
          constitutionId: constitution.id,
          constitutionVersion: constitution.version,
          principleIds: principles.map((p) => p.id),
          agreement: r.agreement,
          judge: {
            orders: r.orders,
            modelFile: m.record.filePath.split(/[\\/]/).pop() ?? m.record.filePath,
            provenance: generationProvenance(m, r.sampling, r.startedAt, r.done[0] ?? null, deps.appVersion),
          },
        });
        stored.push(preference);
        yield { type: "preference", preference };
      }
      yield { type: "progress", done: pairs.length, total: pairs.length, label: "Judged" };
      const agreement = judgeAgreement(await store.listPreferences({ comparisonId: c.id }));
      yield { type: "done", preferences: stored, agreement };
    },
    preferences: (input) => store.listPreferences(input),
    async agreement(input) {
      const human = await store.listPreferences({
        source: "human",
        ...(input.comparisonId ? { comparisonId: input.comparisonId } : {}),
        ...(input.annotator ? { annotator: input.annotator } : {}),
      });
      const ai = await store.listPreferences({
        source: "ai",
        ...(input.comparisonId ? { comparisonId: input.comparisonId } : {}),
        ...(input.constitutionId ? { constitutionId: input.constitutionId } : {}),
      });
      return judgeAgreement([...human, ...ai]);
    },
  };
}

// Handlers for the `critique` domain: constitutions and prompt sets in the critique
// store, critique runs through core/critique's pipeline on a catalog model (each step
// stored with provenance as it finishes), batches with cancel and resume, diffs, and
// training-data export. Also the helpers the feedback service shares: loading a catalog
// model with progress, resolving sampling, and provenance of one generation.
import { ApiError } from "../api/errors.ts";
import type { ProgressPacket } from "../api/packets.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { BatchPacket, CritiquePacket, ExportPreview, critiqueApi, exportRequestSchema } from "../api/critique.ts";
import { constitutionFromJson, ConstitutionFileError, constitutionToJson, contentFingerprint, DEFAULT_CONSTITUTION_ID, defaultConstitution } from "../critique/constitution.ts";
import { diffStats, diffWords } from "../critique/diff.ts";
import { exportFileName, preferenceRecord, selectPreferencePairs, sftRecord, toJsonl } from "../critique/exportFormats.ts";
import { runCritique, type PipelineGeneration, type PipelineStep } from "../critique/pipeline.ts";
import type { CritiqueStore } from "../critique/ports.ts";
import { BUILTIN_PROMPT_SET_ID, BUILTIN_PROMPT_SET_NAME, builtinRedTeamPrompts, parsePromptList, PromptListError } from "../critique/promptSets.ts";
import type { BatchSettings, Constitution, CritiqueBatch, CritiqueRunDetail, CritiqueSettings, NewCritiqueStep, Preference, StopCheck } from "../critique/types.ts";
import type { DonePacket, EngineStatus, ModelInfo } from "../engine/types.ts";
import type { ModelStore, PresetStore } from "../history/ports.ts";
import type { ModelRecord, Provenance } from "../history/types.ts";
import { defaultSamplingConfig, resolveSamplingConfig, type SamplingConfig } from "../sampling/config.ts";
import { withReports } from "../util/AsyncQueue.ts";
import { describeEngineFailure } from "./chat.ts";
import type { EngineSessions } from "./EngineSessions.ts";
import type { FilesPort } from "./files.ts";
import type { z } from "zod";

/** What the critique and feedback services need. */
export interface CritiqueDeps {
  /** The critique store (constitutions, runs, comparisons, preferences). */
  critique: CritiqueStore;
  models: ModelStore;
  presets: PresetStore;
  sessions: EngineSessions;
  /** Lathe's version, for provenance. */
  appVersion: string;
  /** For exports written to a path. Default: none (exports only return their text). */
  files?: FilesPort;
  /** A fresh random seed (default: crypto). */
  newSeed?: () => number;
}

/** A catalog model loaded in the engine, with what provenance needs. */
export interface LoadedModel {
  record: ModelRecord;
  info: ModelInfo;
  status: EngineStatus;
}

type LoadPacket = ProgressPacket & { label: string };

const randomSeed = () => crypto.getRandomValues(new Uint32Array(1))[0]!;

const installed = new WeakMap<CritiqueStore, Promise<void>>();

/** Writes (or refreshes) the builtin constitution and red-team prompt set, once per store. */
export function ensureCritiqueBuiltins(store: CritiqueStore): Promise<void> {
  let p = installed.get(store);
  if (!p) {
    p = (async () => {
      const c = await store.getConstitution(DEFAULT_CONSTITUTION_ID);
      if (!c || contentFingerprint(c) !== contentFingerprint(defaultConstitution)) {
        await store.saveConstitution({ id: DEFAULT_CONSTITUTION_ID, builtin: true, ...defaultConstitution });
      }
      const set = await store.getPromptSet(BUILTIN_PROMPT_SET_ID);
      if (!set || set.name !== BUILTIN_PROMPT_SET_NAME || JSON.stringify(set.prompts) !== JSON.stringify(builtinRedTeamPrompts)) {
        await store.savePromptSet({ id: BUILTIN_PROMPT_SET_ID, name: BUILTIN_PROMPT_SET_NAME, prompts: [...builtinRedTeamPrompts], builtin: true });
      }
    })();
    // A failed install is tried again by the next call instead of failing forever.
    p.catch(() => installed.delete(store));
    installed.set(store, p);
  }
  return p;
}

/** Loads a catalog model (unless loaded), yielding load progress. */
export async function* loadCatalogModel(
  deps: Pick<CritiqueDeps, "models" | "sessions">,
  modelId: string,
  signal: AbortSignal,
): AsyncGenerator<LoadPacket, LoadedModel> {
  const record = await deps.models.getModel(modelId);
  if (!record) throw new ApiError("not_found", `No model with id ${modelId} in the catalog.`);
  let info = deps.sessions.info(record.id);
  if (!info) {
    info = yield* withReports<LoadPacket, ModelInfo>((report) =>
      deps.sessions.ensureLoaded(
        record,
        (p) => report({ type: "progress", done: Math.round(p.progress * 1000), total: 1000, label: `Loading ${record.name}` }),
        signal,
      ),
    );
  }
  return { record, info, status: await deps.sessions.engineStatus() };
}

/** The sampling of a run: a full config, else a preset's, else the defaults; `maxTokens` overrides. */
export async function resolveSampling(
  presets: PresetStore,
  input: { presetId?: string | undefined; sampling?: SamplingConfig | undefined; maxTokens?: number | undefined },
): Promise<SamplingConfig> {
  let config = defaultSamplingConfig;
  if (input.sampling) config = input.sampling;
  else if (input.presetId) {
    const preset = await presets.getPreset(input.presetId);
    if (!preset) throw new ApiError("not_found", `No preset with id ${input.presetId}.`);
    config = resolveSamplingConfig(preset.config as never);
  }
  return input.maxTokens ? { ...config, maxTokens: input.maxTokens } : config;
}

/** The file name of a path. */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Provenance of one generation on a loaded model. */
export function generationProvenance(
  m: LoadedModel,
  sampling: SamplingConfig,
  startedAt: number,
  done: DonePacket | null,
  appVersion: string,
): Provenance {
  const random = sampling.temperature > 0;
  return {
    modelFile: baseName(m.record.filePath),
    modelSha256: m.record.sha256 ?? m.info.sha256,
    modelMetadata: {
      ...m.record.metadata,
      architecture: m.info.architecture,
      parameters: m.info.parameters,
      contextSize: m.info.contextSize,
      threads: m.info.threads,
      backend: m.status.backend,
    },
    adapters: [],
    sampling: { ...sampling, ...(random && done ? { seed: done.seed } : {}) } as unknown as Record<string, unknown>,
    seed: random ? (done?.seed ?? sampling.seed ?? null) : null,
    chatTemplate: m.info.chatTemplate ?? m.info.chatWrapper,
    latheVersion: appVersion,
    nodeLlamaCppVersion: m.status.nodeLlamaCppVersion,
    llamaCppVersion: m.status.llamaCppRelease,
    promptTokens: done?.timings.promptTokens ?? null,
    completionTokens: done?.timings.completionTokens ?? null,
    ttftMs: done?.timings.ttftMs ?? null,
    tokensPerSecond: done?.timings.tokensPerS ?? null,
    startedAt,
    finishedAt: Date.now(),
  };
}

/** A constitution version, or not_found naming it. */
export async function constitutionOf(store: CritiqueStore, id: string, version?: number): Promise<Constitution> {
  await ensureCritiqueBuiltins(store);
  const c = await store.getConstitution(id, version);
  if (!c) throw new ApiError("not_found", version ? `No version ${version} of constitution ${id}.` : `No constitution with id ${id}.`);
  return c;
}

/** What one run needs, after validation. */
interface RunSpec {
  prompt: string;
  initial?: string | undefined;
  systemPrompt: string;
  rounds: number;
  principleChoice: CritiqueSettings["principleChoice"];
  seed?: number | undefined;
  stopCheck: StopCheck;
  presetId?: string | undefined;
  sampling?: SamplingConfig | undefined;
  maxTokens?: number | undefined;
}

const absolutePath = (p: string) => p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\");

export function critiqueHandlers(deps: CritiqueDeps): DomainHandlers<typeof critiqueApi> {
  const store = deps.critique;
  const newSeed = deps.newSeed ?? randomSeed;
  /** Batches running now (in this process): a second start or resume of one is refused. */
  const activeBatches = new Set<string>();

  function stepOf(runId: string, s: PipelineStep, m: LoadedModel): NewCritiqueStep {
    const prov = (g: PipelineGeneration | null) => (g ? generationProvenance(m, g.sampling, g.startedAt, g.done, deps.appVersion) : null);
    return {
      runId,
      index: s.index,
      kind: s.kind,
      principleIds: s.principleIds,
      critique: s.critique?.text ?? null,
      critiqueProvenance: prov(s.critique),
      noIssues: s.noIssues,
      text: s.text,
      provenance: prov(s.response),
    };
  }

  /** Runs one prompt through the loop, storing the run and each step; never throws for engine failures (the run ends as error). */
  async function* executeRun(
    spec: RunSpec,
    m: LoadedModel,
    constitution: Constitution,
    signal: AbortSignal,
    batch: { batchId: string; index: number } | null,
  ): AsyncGenerator<CritiquePacket, CritiqueRunDetail> {
    const sampling = await resolveSampling(deps.presets, spec);
    const seed = spec.seed ?? sampling.seed ?? newSeed();
    const run = await store.createRun({
      prompt: spec.prompt,
      systemPrompt: spec.systemPrompt,
      constitutionId: constitution.id,
      constitutionVersion: constitution.version,
      modelId: m.record.id,
      modelFile: baseName(m.record.filePath),
      settings: {
        rounds: spec.rounds,
        principleChoice: spec.principleChoice,
        seed,
        stopCheck: spec.stopCheck,
        sampling: sampling as unknown as Record<string, unknown>,
        presetId: spec.sampling ? null : (spec.presetId ?? null),
      },
      batchId: batch?.batchId ?? null,
      batchIndex: batch?.index ?? null,
    });
    yield { type: "run", run };
    let ended = false;
    try {
      const pipeline = runCritique(deps.sessions.engine, {
        modelId: m.info.id,
        prompt: spec.prompt,
        ...(spec.initial !== undefined ? { initial: spec.initial } : {}),
        ...(spec.systemPrompt ? { systemPrompt: spec.systemPrompt } : {}),
        principles: constitution.principles,
        rounds: spec.rounds,
        principleChoice: spec.principleChoice,
        seed,
        stopCheck: spec.stopCheck,
        sampling,
        signal,
      });
      try {
        for (;;) {
          const next = await pipeline.next();
          if (next.done) {
            const r = next.value;
            await store.finishRun(
              run.id,
              r.status === "complete" ? { status: "complete", stopReason: r.stopReason, final: r.final } : { status: "stopped" },
            );
            break;
          }
          const e = next.value;
          if (e.type === "step") yield { type: "step", step: await store.addStep(stepOf(run.id, e.step, m)) };
          else yield e;
        }
      } catch (err) {
        await store.finishRun(run.id, signal.aborted ? { status: "stopped" } : { status: "error", error: describeEngineFailure(err) });
      }
      ended = true;
    } finally {
      // The caller went away mid-run: keep what was stored, marked stopped.
      if (!ended) await store.finishRun(run.id, { status: "stopped" }).catch(() => undefined);
    }
    const detail = (await store.getRun(run.id))!;
    yield { type: "done", run: detail };
    return detail;
  }

  async function* runBatch(batchId: string, signal: AbortSignal): AsyncGenerator<BatchPacket> {
    if (activeBatches.has(batchId)) throw new ApiError("conflict", "This batch is already running.");
    activeBatches.add(batchId);
    try {
      let batch = await store.setBatchStatus(batchId, "running");
      yield { type: "batch", batch };
      const s = batch.settings;
      const m = yield* loadCatalogModel(deps, s.modelId, signal);
      const constitution = await constitutionOf(store, s.constitutionId, s.constitutionVersion);
      const finished = new Set(await store.completedBatchIndices(batchId));
      const total = batch.prompts.length;
      const progress = (label: string): BatchPacket => ({ type: "progress", done: finished.size, total, label });
      yield progress(`${finished.size} of ${total} prompts done`);
      for (const [index, prompt] of batch.prompts.entries()) {
        if (finished.has(index)) continue;
        if (signal.aborted) break;
        const spec: RunSpec = {
          prompt,
          systemPrompt: s.systemPrompt,
          rounds: s.rounds,
          principleChoice: s.principleChoice,
          // Each prompt gets its own seed, fixed by the batch seed and its position.
          seed: (s.seed + index * 0x9e3779b1) >>> 0,
          stopCheck: s.stopCheck,
          sampling: s.sampling as unknown as SamplingConfig,
        };
        let detail: CritiqueRunDetail | null = null;
        for await (const p of executeRun(spec, m, constitution, signal, { batchId, index })) {
          if (p.type === "run") yield { type: "item", index, prompt, runId: p.run.id };
          else if (p.type === "phase") yield { type: "phase", index, step: p.step, phase: p.phase };
          else if (p.type === "done") detail = p.run;
        }
        if (!detail) break;
        yield { type: "itemDone", index, run: detail };
        if (detail.status === "complete") {
          finished.add(index);
          yield progress(`${finished.size} of ${total} prompts done`);
        } else if (detail.status === "error") {
          yield { type: "error", item: index, message: detail.error ?? "The run failed." };
        } else break; // stopped: cancelled
      }
      batch = await store.setBatchStatus(batchId, finished.size === total ? "complete" : "paused");
      if (signal.aborted) return;
      yield { type: "done", batch };
    } finally {
      activeBatches.delete(batchId);
      const b = await store.getBatch(batchId).catch(() => null);
      if (b?.status === "running") await store.setBatchStatus(batchId, "paused").catch(() => undefined);
    }
  }

  type ExportRequest = z.output<typeof exportRequestSchema>;

  async function buildExport(req: ExportRequest): Promise<{ records: unknown[]; excluded: Record<string, number> }> {
    if (req.kind === "sft") {
      const runs = await store.listRuns({
        ...(req.constitutionId ? { constitutionId: req.constitutionId } : {}),
        ...(req.constitutionVersion ? { constitutionVersion: req.constitutionVersion } : {}),
        ...(req.batchId ? { batchId: req.batchId } : {}),
        limit: 1_000_000,
      });
      const usable = runs.filter((r) => r.status === "complete" && r.final !== null);
      return { records: usable.map(sftRecord), excluded: { "unfinished runs": runs.length - usable.length } };
    }
    const byConstitution = req.constitutionId ? { constitutionId: req.constitutionId } : {};
    const humanPrefs = () => store.listPreferences({ source: "human", ...(req.annotator ? { annotator: req.annotator } : {}), ...byConstitution });
    const aiPrefs = () => store.listPreferences({ source: "ai", ...byConstitution });
    const excluded: Record<string, number> = {};
    let all;
    if (req.agreement === "humanAndAi") {
      // Human preferences the AI judge agreed with: one line per human preference.
      const human = await humanPrefs();
      all = selectPreferencePairs([...human, ...(await aiPrefs())], { agreement: "humanAndAi", skipIdentical: false });
      excluded["no agreeing AI judgement"] = human.length - all.length;
    } else {
      const candidates: Preference[] = [
        ...(req.source !== "ai" ? await humanPrefs() : []),
        // AI preferences have no annotator, so an annotator filter leaves them out.
        ...(req.source !== "human" && !req.annotator ? await aiPrefs() : []),
      ];
      excluded["AI undecided (orders disagreed)"] = candidates.filter((p) => p.winner === null).length;
      all = selectPreferencePairs(candidates, { skipIdentical: false });
    }
    const pairs = all.filter((p) => p.chosen !== p.rejected);
    excluded["identical texts"] = all.length - pairs.length;
    return { records: pairs.map((p) => preferenceRecord(p, req.form)), excluded };
  }

  function preview(req: ExportRequest, built: { records: unknown[]; excluded: Record<string, number> }): ExportPreview {
    const excluded = Object.fromEntries(Object.entries(built.excluded).filter(([, n]) => n > 0));
    return {
      kind: req.kind,
      count: built.records.length,
      excluded,
      sample: built.records.length ? JSON.stringify(built.records[0]) : null,
      fileName: exportFileName(req.kind, req.kind === "preferences" ? req.form : null, new Date()),
    };
  }

  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "constitution";

  return {
    async listConstitutions(input) {
      await ensureCritiqueBuiltins(store);
      return store.listConstitutions({ includeArchived: input.includeArchived });
    },
    getConstitution: (input) => constitutionOf(store, input.id, input.version),
    async constitutionVersions(input) {
      await constitutionOf(store, input.id);
      return store.listConstitutionVersions(input.id);
    },
    async saveConstitution(input) {
      await ensureCritiqueBuiltins(store);
      if (input.id) {
        const existing = await store.getConstitution(input.id);
        if (existing?.builtin) throw new ApiError("conflict", `"${existing.name}" is built in; save your changes as a new constitution.`);
      }
      const { id, ...content } = input;
      return store.saveConstitution({ ...content, ...(id ? { id } : {}) });
    },
    async archiveConstitution(input) {
      const c = await constitutionOf(store, input.id);
      if (c.builtin) throw new ApiError("conflict", `"${c.name}" is built in and cannot be archived.`);
      return { archived: await store.archiveConstitution(input.id) };
    },
    async importConstitution(input) {
      let content;
      try {
        content = constitutionFromJson(input.text);
      } catch (err) {
        if (err instanceof ConstitutionFileError) throw new ApiError("invalid_input", `Constitution file rejected: ${err.message}`, { path: err.path });
        throw err;
      }
      if (input.id) {
        const existing = await constitutionOf(store, input.id);
        if (existing.builtin) throw new ApiError("conflict", `"${existing.name}" is built in; import as a new constitution.`);
      }
      return store.saveConstitution({ ...content, ...(input.id ? { id: input.id } : {}) });
    },
    async exportConstitution(input) {
      const c = await constitutionOf(store, input.id, input.version);
      return { text: constitutionToJson(c, c.version), fileName: `${slug(c.name)}-v${c.version}.constitution.json` };
    },

    async listPromptSets() {
      await ensureCritiqueBuiltins(store);
      return store.listPromptSets();
    },
    async getPromptSet(input) {
      await ensureCritiqueBuiltins(store);
      const set = await store.getPromptSet(input.id);
      if (!set) throw new ApiError("not_found", `No prompt set with id ${input.id}.`);
      return set;
    },
    async importPromptSet(input) {
      let prompts: string[];
      try {
        prompts = parsePromptList(input.text, input.format);
      } catch (err) {
        if (err instanceof PromptListError) throw new ApiError("invalid_input", `Prompt list rejected: ${err.message}`, { line: err.line });
        throw err;
      }
      if (prompts.length > 10_000) throw new ApiError("too_large", `A prompt set holds at most 10,000 prompts; this list has ${prompts.length}.`);
      return store.savePromptSet({ name: input.name, prompts });
    },
    async deletePromptSet(input) {
      const set = await store.getPromptSet(input.id);
      if (set?.builtin) throw new ApiError("conflict", `"${set.name}" is built in and cannot be deleted.`);
      return { deleted: await store.deletePromptSet(input.id) };
    },

    async *run(input, ctx) {
      const constitution = await constitutionOf(store, input.constitutionId, input.constitutionVersion);
      const m = yield* loadCatalogModel(deps, input.modelId, ctx.signal);
      yield* executeRun(input, m, constitution, ctx.signal, null);
    },
    listRuns: (input) => store.listRuns(input),
    async getRun(input) {
      const run = await store.getRun(input.id);
      if (!run) throw new ApiError("not_found", `No critique run with id ${input.id}.`);
      return run;
    },
    deleteRun: async (input) => ({ deleted: await store.deleteRun(input.id) }),
    async diff(input) {
      const run = await store.getRun(input.runId);
      if (!run) throw new ApiError("not_found", `No critique run with id ${input.runId}.`);
      if (run.steps.length === 0) throw new ApiError("invalid_input", "This run has no steps yet.");
      const last = run.steps.length - 1;
      const from = input.from ?? 0;
      const to = input.to ?? last;
      if (from > last || to > last) throw new ApiError("invalid_input", `This run has steps 0 to ${last}.`);
      const parts = diffWords(run.steps[from]!.text, run.steps[to]!.text);
      return { parts, ...diffStats(parts) };
    },

    async *startBatch(input, ctx) {
      await ensureCritiqueBuiltins(store);
      let prompts = input.prompts;
      let name = input.name;
      if (input.promptSetId) {
        const set = await store.getPromptSet(input.promptSetId);
        if (!set) throw new ApiError("not_found", `No prompt set with id ${input.promptSetId}.`);
        prompts = set.prompts;
        name ??= set.name;
      }
      const constitution = await constitutionOf(store, input.constitutionId, input.constitutionVersion);
      if (!(await deps.models.getModel(input.modelId))) throw new ApiError("not_found", `No model with id ${input.modelId} in the catalog.`);
      const sampling = await resolveSampling(deps.presets, input);
      const settings: BatchSettings = {
        rounds: input.rounds,
        principleChoice: input.principleChoice,
        seed: input.seed ?? sampling.seed ?? newSeed(),
        stopCheck: input.stopCheck,
        sampling: sampling as unknown as Record<string, unknown>,
        presetId: input.sampling ? null : (input.presetId ?? null),
        constitutionId: constitution.id,
        constitutionVersion: constitution.version,
        modelId: input.modelId,
        systemPrompt: input.systemPrompt,
      };
      const batch: CritiqueBatch = await store.createBatch({
        name: name ?? "Batch",
        promptSetId: input.promptSetId ?? null,
        prompts: prompts!,
        settings,
      });
      yield* runBatch(batch.id, ctx.signal);
    },
    async *resumeBatch(input, ctx) {
      const batch = await store.getBatch(input.batchId);
      if (!batch) throw new ApiError("not_found", `No batch with id ${input.batchId}.`);
      if (batch.status === "complete") throw new ApiError("conflict", "This batch is already complete.");
      yield* runBatch(batch.id, ctx.signal);
    },
    listBatches: () => store.listBatches(),
    async getBatch(input) {
      const batch = await store.getBatch(input.id);
      if (!batch) throw new ApiError("not_found", `No batch with id ${input.id}.`);
      return batch;
    },

    exportPreview: async (input) => preview(input, await buildExport(input)),
    async export(input) {
      const built = await buildExport(input);
      const text = toJsonl(built.records);
      let path: string | null = null;
      if (input.path) {
        if (!deps.files) throw new ApiError("unavailable", "This shell cannot write files; download the returned text instead.");
        if (!absolutePath(input.path)) throw new ApiError("invalid_input", `Export path must be absolute: ${input.path}`);
        await deps.files.write(input.path, [new TextEncoder().encode(text)]);
        path = input.path;
      }
      return { ...preview(input, built), text, path };
    },
  };
}

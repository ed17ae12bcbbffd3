// The critique → revise loop, written against the engine port: an initial answer, then
// per round a critique under the round's principles and a revision, for N rounds,
// stopping early when a critique finds nothing to fix. Yields every fragment and each
// finished step as it happens; the critique service stores the steps with provenance.
import type { Engine } from "../engine/port.ts";
import type { AdapterRef, ChatMessage, DonePacket } from "../engine/types.ts";
import type { SamplingConfig } from "../sampling/config.ts";
import { critiqueMessages, responseMessages, revisionMessages } from "./prompts.ts";
import { generationSeed, planRounds } from "./principles.ts";
import { critiqueFindsNothing } from "./stopCheck.ts";
import type { CritiquePhase, CritiqueStopReason, Principle, PrincipleChoice, StopCheck } from "./types.ts";

/** What runCritique needs. */
export interface CritiquePipelineOptions {
  /** Engine handle of the loaded model. */
  modelId: string;
  /** Adapter set for every generation. Default [] (the base model). */
  adapters?: AdapterRef[];
  /** System prompt every generation sees. Default none. */
  systemPrompt?: string;
  /** The user's request. */
  prompt: string;
  /** The constitution's principles, in order. */
  principles: readonly Principle[];
  /** Critique/revision rounds (0 = only the initial answer). */
  rounds: number;
  /** How each round's principles are picked. */
  principleChoice: PrincipleChoice;
  /** Run seed: random principle choice and per-generation sampling seeds derive from it. */
  seed: number;
  /** When a critique means "nothing to fix". */
  stopCheck: StopCheck;
  /** Sampling of every generation; with temperature > 0 each generation gets its own seed from the run seed. */
  sampling: SamplingConfig;
  /** An answer to critique instead of generating one (kept as step 0). Default: generate. */
  initial?: string;
  /** Cancels the run; the result is then "stopped" with the steps finished so far. */
  signal?: AbortSignal;
}

/** One generation of the loop. */
export interface PipelineGeneration {
  /** The text, trimmed. */
  text: string;
  /** The engine's done packet (timings, seed, tokens). */
  done: DonePacket;
  /** The sampling config it ran with (seed included when sampling randomly). */
  sampling: SamplingConfig;
  /** When it started (ms since epoch). */
  startedAt: number;
}

/** A finished step. Step 0 is the initial answer; step r is round r. */
export interface PipelineStep {
  index: number;
  kind: "initial" | "round";
  principleIds: string[];
  /** The critique (null for step 0). */
  critique: PipelineGeneration | null;
  /** The critique found nothing to fix: no revision this round. */
  noIssues: boolean;
  /** The answer after this step. */
  text: string;
  /** The generation that produced `text`; null when given or unchanged. */
  response: PipelineGeneration | null;
}

/** Events of a run, in order. */
export type PipelineEvent =
  /** A generation starts. */
  | { type: "phase"; step: number; phase: CritiquePhase; principleIds: string[] }
  /** More text of the running generation. */
  | { type: "fragment"; step: number; phase: CritiquePhase; text: string }
  /** A step is finished. */
  | { type: "step"; step: PipelineStep };

/** How a run ended. */
export interface PipelineResult {
  /** "stopped" when cancelled. */
  status: "complete" | "stopped";
  /** Why a complete run ended. */
  stopReason: CritiqueStopReason | null;
  /** Rounds that ran to their end (a noIssues round counts). */
  roundsRun: number;
  initial: string | null;
  /** The answer after the last finished step. */
  final: string | null;
  steps: PipelineStep[];
}

class Cancelled extends Error {}

/** Runs the loop; yields events and returns the result. Engine failures are thrown. */
export async function* runCritique(engine: Engine, o: CritiquePipelineOptions): AsyncGenerator<PipelineEvent, PipelineResult> {
  const plan = planRounds(o.principles, o.principleChoice, o.rounds, o.seed);
  const steps: PipelineStep[] = [];
  let generation = 0;
  const result = (status: PipelineResult["status"], stopReason: CritiqueStopReason | null): PipelineResult => ({
    status,
    stopReason,
    roundsRun: steps.filter((s) => s.kind === "round").length,
    initial: steps[0]?.text ?? null,
    final: steps.at(-1)?.text ?? null,
    steps,
  });

  async function* generate(step: number, phase: CritiquePhase, messages: ChatMessage[]): AsyncGenerator<PipelineEvent, PipelineGeneration> {
    const g = generation++;
    // Each generation gets its own seed: the same seed everywhere would make the
    // critique and the revision sample from the same random stream.
    const sampling: SamplingConfig = o.sampling.temperature > 0 ? { ...o.sampling, seed: generationSeed(o.seed, g) } : o.sampling;
    const startedAt = Date.now();
    let done: DonePacket | null = null;
    for await (const p of engine.generate(
      {
        modelId: o.modelId,
        adapters: o.adapters ?? [],
        prompt: { kind: "chat", messages, ...(o.systemPrompt ? { systemPrompt: o.systemPrompt } : {}) },
        sampling,
      },
      o.signal ? { signal: o.signal } : {},
    )) {
      if (p.type === "fragment") {
        if (p.text) yield { type: "fragment", step, phase, text: p.text };
      } else done = p;
    }
    if (o.signal?.aborted || done?.stopReason === "abort") throw new Cancelled();
    if (!done) throw new Error("The engine ended the generation without a result.");
    return { text: done.text.trim(), done, sampling, startedAt };
  }

  try {
    let answer: string;
    if (o.initial !== undefined) {
      answer = o.initial;
      steps.push({ index: 0, kind: "initial", principleIds: [], critique: null, noIssues: false, text: answer, response: null });
    } else {
      yield { type: "phase", step: 0, phase: "response", principleIds: [] };
      const response = yield* generate(0, "response", responseMessages(o.prompt));
      answer = response.text;
      steps.push({ index: 0, kind: "initial", principleIds: [], critique: null, noIssues: false, text: answer, response });
    }
    yield { type: "step", step: steps[0]! };

    for (let r = 1; r <= plan.length; r++) {
      const principles = plan[r - 1]!;
      const principleIds = principles.map((p) => p.id);
      yield { type: "phase", step: r, phase: "critique", principleIds };
      const critique = yield* generate(r, "critique", critiqueMessages(o.prompt, answer, principles));
      if (critiqueFindsNothing(critique.text, o.stopCheck)) {
        const step: PipelineStep = { index: r, kind: "round", principleIds, critique, noIssues: true, text: answer, response: null };
        steps.push(step);
        yield { type: "step", step };
        return result("complete", "noIssues");
      }
      yield { type: "phase", step: r, phase: "revision", principleIds };
      const revision = yield* generate(r, "revision", revisionMessages(o.prompt, answer, principles, critique.text));
      // An empty revision would erase the answer; the answer then stays as it was.
      if (revision.text) answer = revision.text;
      const step: PipelineStep = { index: r, kind: "round", principleIds, critique, noIssues: false, text: answer, response: revision };
      steps.push(step);
      yield { type: "step", step };
    }
    return result("complete", "rounds");
  } catch (err) {
    if (err instanceof Cancelled || o.signal?.aborted) return result("stopped", null);
    throw err;
  }
}

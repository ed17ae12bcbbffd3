// The "build the engine for this machine" store behind Settings (EngineBuildView): build
// state, a running build's progress and log tail with Cancel, and the library choice.
// Calls the `engineBuild` domain; refreshes the engine store when the library changes.
import type { EngineBuildOutcome, EngineBuildState } from "../../core/api/engine.ts";
import type { EngineLibrary } from "../../core/engine/types.ts";
import type { Api } from "../api/connect.ts";
import { errorText, isCancelled } from "../ui/errors.ts";

/** A build started from this window. */
export interface BuildRun {
  /** Percent done (0-100). */
  done: number;
  /** The current step. */
  label: string;
  /** The last output lines (newest last). */
  log: string[];
  /** Stops the build. */
  cancel: () => void;
}

export class EngineBuildStore {
  /** Latest state; null until loaded. */
  state = $state.raw<EngineBuildState | null>(null);
  /** The build this window runs; null when none. */
  run = $state.raw<BuildRun | null>(null);
  /** How the last build from this window ended. */
  outcome = $state.raw<EngineBuildOutcome | null>(null);
  /** Why the last call failed, for people; null when it worked. */
  error = $state<string | null>(null);
  /** A library switch in progress. */
  switching = $state(false);

  constructor(
    private readonly api: Api,
    /** Called after the engine restarted on another library (refresh the engine status). */
    private readonly onEngineChanged: () => void = () => {},
    /** Output lines kept on screen. Default 12. */
    private readonly logLines = 12,
  ) {}

  async refresh(): Promise<void> {
    try {
      this.state = await this.api.engineBuild.state({});
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Builds llama.cpp for this machine; on success the engine restarts on the local build. */
  async build(): Promise<void> {
    if (this.run) return;
    const controller = new AbortController();
    const cancel = () => controller.abort("cancelled by the user");
    let run: BuildRun = { done: 0, label: "Starting", log: [], cancel };
    this.run = run;
    this.error = null;
    this.outcome = null;
    try {
      for await (const p of this.api.engineBuild.build({}, { signal: controller.signal })) {
        if (p.type === "progress") run = { ...run, done: p.done, label: p.label ?? run.label };
        else if (p.type === "log") run = { ...run, log: [...run.log, ...p.lines].slice(-this.logLines) };
        else if (p.type === "done") this.outcome = p.outcome;
        this.run = run;
      }
    } catch (err) {
      if (!isCancelled(err)) this.error = errorText(err);
    } finally {
      this.run = null;
      await this.refresh();
      this.onEngineChanged();
    }
  }

  /** Switches the library (persisted); the engine restarts on it. */
  async setLibrary(library: EngineLibrary): Promise<void> {
    this.switching = true;
    try {
      this.state = await this.api.engineBuild.setLibrary({ library });
      this.error = null;
      this.onEngineChanged();
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.switching = false;
    }
  }
}

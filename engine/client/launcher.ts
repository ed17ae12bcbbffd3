// How the engine client starts its host process. Two launchers share one interface:
// Node's child_process (for `lathe serve`, tests and benchmarks) and an adapter over an
// Electron utilityProcess (the desktop shell forks it and hands it in, since engine/ may
// not import electron). The host entry is configurable so a bundled build can point to
// a .js file; a .ts entry runs through tsx.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A running host process as the client sees it. */
export interface HostProcess {
  /** OS process id, when known. */
  readonly pid: number | undefined;
  /** Sends a protocol message (JSON-safe). */
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process has exited, with its exit code or signal. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Called with chunks of the host's stdout/stderr (llama.cpp aborts print there). */
  onOutput(listener: (stream: "stdout" | "stderr", text: string) => void): void;
  /** Kills the process (SIGKILL where the platform has it). */
  kill(): void;
}

/** Starts a host process with extra environment variables. */
export type HostLauncher = (env: Record<string, string>) => HostProcess;

/** The host entry in this source tree (run through tsx). A function, so bundles that never use it do not evaluate import.meta. */
export function defaultHostEntry(): string {
  return fileURLToPath(new URL("../host/main.ts", import.meta.url));
}

/** Options for nodeHostLauncher. */
export interface NodeHostLauncherOptions {
  /** Host entry file: a .ts source (run with `--import tsx`) or a bundled .js. Default: engine/host/main.ts. */
  entry?: string;
  /** Node binary. Default: process.execPath. */
  execPath?: string;
  /** Extra node flags. Default: ["--import", <tsx>] for a .ts entry, [] otherwise. */
  execArgv?: string[];
  /** Working directory. Default: the current one. */
  cwd?: string;
}

/** Launches the host with Node's child_process.fork (IPC channel + piped stdout/stderr). */
export function nodeHostLauncher(options: NodeHostLauncherOptions = {}): HostLauncher {
  const entry = options.entry ?? defaultHostEntry();
  // tsx resolved here (not by the child from its cwd), so any working directory works.
  const execArgv = options.execArgv ?? (entry.endsWith(".ts") ? ["--import", import.meta.resolve("tsx")] : []);
  return (env) => {
    const child = fork(entry, [], {
      execPath: options.execPath ?? process.execPath,
      execArgv,
      cwd: options.cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (child.connected) child.send(message as object, (err) => void err);
      },
      onMessage: (listener) => void child.on("message", listener),
      onExit: (listener) => void child.once("exit", (code, signal) => listener(code, signal)),
      onOutput(listener) {
        child.stdout?.setEncoding("utf8").on("data", (t: string) => listener("stdout", t));
        child.stderr?.setEncoding("utf8").on("data", (t: string) => listener("stderr", t));
      },
      kill: () => void child.kill("SIGKILL"),
    };
  };
}

/** The structural part of Electron's UtilityProcess that the adapter needs. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  readonly stdout: { on(event: "data", listener: (chunk: { toString(): string }) => void): unknown } | null;
  readonly stderr: { on(event: "data", listener: (chunk: { toString(): string }) => void): unknown } | null;
  kill(): boolean;
}

/**
 * Adapts Electron's utilityProcess. `forkUtility(env)` must call
 * `utilityProcess.fork(entry, [], { env: { ...process.env, ...env }, stdio: "pipe", serviceName: "Lathe engine" })`
 * with a bundled .js host entry.
 */
export function utilityProcessLauncher(forkUtility: (env: Record<string, string>) => UtilityProcessLike): HostLauncher {
  return (env) => {
    const child = forkUtility(env);
    let exited = false;
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    child.on("exit", (code) => {
      exited = true;
      for (const l of exitListeners) l(code, null);
    });
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => void child.on("message", listener),
      onExit: (listener) => void exitListeners.push(listener),
      onOutput(listener) {
        child.stdout?.on("data", (c) => listener("stdout", c.toString()));
        child.stderr?.on("data", (c) => listener("stderr", c.toString()));
      },
      kill: () => void child.kill(),
    };
  };
}

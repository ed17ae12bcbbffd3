// Starts test/db/helpers/child.ts in another process ("another Lathe") and waits for a
// line of its output; every child is SIGKILLed after the test.
import { spawn, type ChildProcess } from "node:child_process";

const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

export interface ChildRun {
  child: ChildProcess;
  /** Lines printed so far. */
  lines: string[];
  /** Resolves with the first line (from now on or already printed) that satisfies test. */
  waitFor(test: (line: string, all: string[]) => boolean): Promise<string>;
  /** SIGKILLs the child and waits until it is gone. */
  kill(): Promise<void>;
}

export function startChild(mode: "hold" | "stream", dbPath: string): ChildRun {
  const child = spawn(process.execPath, ["--import", "tsx", "test/db/helpers/child.ts", mode, dbPath], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: string[] = [];
  let stderr = "";
  let partial = "";
  const waiters: (() => void)[] = [];
  child.stdout!.on("data", (d: Buffer) => {
    const parts = (partial + d.toString()).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    lines,
    waitFor(test) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => test(l, lines));
          if (hit !== undefined) return resolve(hit);
          if (child.exitCode !== null)
            return reject(new Error(`child exited (${child.exitCode}): ${stderr}`));
          waiters.push(check);
        };
        child.once("exit", () => check());
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

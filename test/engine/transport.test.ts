// The host's message protocol as a client sees it on the wire (validation, unknown methods,
// init rules), and the Electron utilityProcess path: the host's parentPort channel and the
// client's utilityProcessLauncher adapter, exercised with a parentPort shim over Node IPC.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EngineClient } from "../../engine/client/EngineClient.ts";
import { defaultHostEntry, utilityProcessLauncher, type UtilityProcessLike } from "../../engine/client/launcher.ts";
import { engineProtocolVersion, hostToClientSchema, type HostToClient } from "../../core/engine/protocol.ts";
import { fixture } from "../helpers/fixtures.ts";
import { generateAll } from "./engineTestUtils.ts";

const tsx = ["--import", import.meta.resolve("tsx")];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

/** A raw host and a way to await its next message matching a predicate. */
function rawHost() {
  const child = fork(defaultHostEntry(), [], { execArgv: tsx, stdio: ["ignore", "ignore", "ignore", "ipc"] });
  children.push(child);
  const inbox: HostToClient[] = [];
  const waiters: { pred: (m: HostToClient) => boolean; resolve: (m: HostToClient) => void }[] = [];
  child.on("message", (raw) => {
    const m = hostToClientSchema.parse(raw);
    const w = waiters.find((x) => x.pred(m));
    if (w) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    } else inbox.push(m);
  });
  const next = (pred: (m: HostToClient) => boolean) =>
    new Promise<HostToClient>((resolve) => {
      const i = inbox.findIndex(pred);
      if (i >= 0) resolve(inbox.splice(i, 1)[0]!);
      else waiters.push({ pred, resolve });
    });
  const call = (id: number, method: string, params: unknown) => {
    child.send({ t: "call", id, method, params });
    return next((m) => (m.t === "result" || m.t === "error") && m.id === id);
  };
  return { child, next, call };
}

describe("host protocol", () => {
  it("announces itself, validates every call and names what is wrong", async () => {
    const host = rawHost();
    const ready = await host.next((m) => m.t === "ready");
    expect(ready).toEqual({ t: "ready", pid: host.child.pid });

    expect(await host.call(1, "status", {})).toMatchObject({ t: "error", error: { reason: "internal", message: expect.stringContaining("init must be the first call") } });
    expect(await host.call(2, "rmrf", {})).toMatchObject({ t: "error", error: { reason: "invalid_input", message: 'unknown engine method "rmrf"' } });
    expect(await host.call(3, "init", { protocol: engineProtocolVersion, options: { threads: 0 } })).toMatchObject({
      t: "error",
      error: { reason: "invalid_input", message: expect.stringContaining("options.threads") },
    });
    expect(await host.call(4, "init", { protocol: engineProtocolVersion + 1, options: {} })).toMatchObject({
      t: "error",
      error: { message: expect.stringContaining("protocol mismatch") },
    });
    host.child.send({ t: "bogus" });
    expect(await host.next((m) => m.t === "log")).toMatchObject({ t: "log", level: "warn", text: expect.stringContaining("malformed message") });

    const init = await host.call(5, "init", { protocol: engineProtocolVersion, options: { threads: 1, gpu: "cpu" } });
    expect(init).toMatchObject({ t: "result", value: { backend: "cpu", threads: 1 } });
    expect(await host.call(6, "loadModel", { path: 42 })).toMatchObject({ t: "error", error: { reason: "invalid_input", message: expect.stringContaining("path") } });
    expect(await host.call(7, "generate", { modelId: "m0", prompt: { kind: "raw", text: "a" }, sampling: { temperature: -1 } })).toMatchObject({
      t: "error",
      error: { reason: "invalid_input", message: expect.stringContaining("sampling.temperature") },
    });
    host.child.kill("SIGKILL");
  });
});

describe("Electron utilityProcess path", () => {
  it("a host on a parentPort serves a client through utilityProcessLauncher", async () => {
    const shim = fileURLToPath(new URL("./parentPortHost.ts", import.meta.url));
    // A stand-in for electron's utilityProcess.fork: same surface, backed by child_process.
    const forkUtility = (env: Record<string, string>): UtilityProcessLike => {
      const child = fork(shim, [], { execArgv: tsx, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe", "ipc"] });
      children.push(child);
      return {
        get pid() {
          return child.pid;
        },
        postMessage: (m) => void child.send(m as object),
        on: (event: "message" | "exit", listener: (arg: never) => void) => child.on(event, (arg: unknown) => listener(arg as never)),
        stdout: child.stdout,
        stderr: child.stderr,
        kill: () => child.kill("SIGKILL"),
      } as UtilityProcessLike;
    };
    const engine = new EngineClient({ launcher: utilityProcessLauncher(forkUtility), host: { threads: 1, gpu: "cpu" } });
    try {
      const model = await engine.loadModel({ path: fixture.successor, contextSize: 256 });
      const { done } = await generateAll(engine, { modelId: model.id, prompt: { kind: "raw", text: "x" }, sampling: { temperature: 0, maxTokens: 2 } });
      expect(done.text).toBe("yz");
      expect((await engine.status()).pid).toBe(engine.pid);
    } finally {
      await engine.dispose();
    }
  });
});

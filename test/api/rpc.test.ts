// The typed API over both transports: the same behaviour over an in-memory channel pair
// and a real WebSocket to the browser shell's HTTP server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "node:http";
import WebSocket from "ws";
import {
  ApiError,
  contract,
  createApiClient,
  createMemoryChannelPair,
  serveApi,
  webSocketChannel,
  type ApiClient,
  type Channel,
  type HandlersOf,
  type LatheContract,
  type SystemInfo,
} from "../../core/api/index.ts";
import { sleep } from "../../core/util/async.ts";
import { startHttpServer, type RunningHttpServer } from "../../server/http.ts";

const info: SystemInfo = {
  appVersion: "9.9.9",
  shell: "browser",
  platform: "test-x64",
  engine: { nodeLlamaCppVersion: "3.21.1", llamaCppRelease: "v0.4.0", backend: "cpu", backendReason: "test", devices: [], threads: 1 },
  paths: { home: "/h", models: "/h/models", adapters: "/h/adapters", database: "/h/lathe.sqlite" },
  domains: ["system"],
};

/** A producer whose progress the tests can watch from outside. */
function instrumentedHandlers() {
  const producer = { produced: 0, finished: false, sawAbort: false };
  const handlers: Partial<HandlersOf<LatheContract>> = {
    system: {
      info: () => info,
      async *ticks(input, ctx) {
        ctx.signal.addEventListener("abort", () => (producer.sawAbort = true));
        try {
          for (let i = 1; i <= input.count; i++) {
            await sleep(input.intervalMs, ctx.signal);
            producer.produced = i;
            yield { type: "progress" as const, done: i, total: input.count };
          }
        } finally {
          producer.finished = true;
        }
      },
    },
  };
  return { handlers, producer };
}

async function wsChannel(url: string, headers: Record<string, string> = {}): Promise<Channel> {
  const ws = new WebSocket(url, { headers });
  await new Promise<void>((ok, fail) => {
    ws.once("open", () => ok());
    ws.once("error", fail);
  });
  return webSocketChannel(ws as unknown as Parameters<typeof webSocketChannel>[0]);
}

/** Answers the status the server gives a WebSocket handshake (101 when accepted). */
function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((ok) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => {
      ws.close();
      ok(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      ok(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("error", () => ok(-1));
  });
}

/** Status of a plain GET / sent with the given Host header. */
function httpStatus(port: number, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { Host: host } }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.once("error", fail);
    req.end();
  });
}

type Setup = { client: ApiClient<LatheContract>; rawClient: ApiClient<LatheContract>; producer: ReturnType<typeof instrumentedHandlers>["producer"]; pending(): number };

const transports: Record<string, () => Promise<Setup>> = {
  memory: async () => {
    const { handlers, producer } = instrumentedHandlers();
    const [a, b] = createMemoryChannelPair();
    const server = serveApi(contract, handlers, b);
    const [c, d] = createMemoryChannelPair();
    const server2 = serveApi(contract, handlers, d);
    return {
      client: createApiClient(contract, a),
      rawClient: createApiClient(contract, c, { validateInputs: false }),
      producer,
      pending: () => server.pending + server2.pending,
    };
  },
  websocket: async () => {
    const { handlers, producer } = instrumentedHandlers();
    const servers: { pending: number }[] = [];
    const http = await startHttpServer({
      staticDir: null,
      onConnection: (ch) => servers.push(serveApi(contract, handlers, ch)),
    });
    opened.push(http);
    const url = `ws://127.0.0.1:${http.port}/api?token=${http.token}`;
    return {
      client: createApiClient(contract, await wsChannel(url)),
      rawClient: createApiClient(contract, await wsChannel(url), { validateInputs: false }),
      producer,
      pending: () => servers.reduce((n, s) => n + s.pending, 0),
    };
  },
};
const opened: RunningHttpServer[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

for (const [name, make] of Object.entries(transports)) {
  describe(`typed API over ${name}`, () => {
    let s: Setup;
    beforeAll(async () => {
      s = await make();
    });

    it("answers a unary call with the handler's result", async () => {
      const got = await s.client.system.info({});
      expect(got.appVersion).toBe("9.9.9");
      expect(got.engine.llamaCppRelease).toBe("v0.4.0");
      expect(got.paths.database).toBe("/h/lathe.sqlite");
    });

    it("streams every packet in order, then ends", async () => {
      const seen: number[] = [];
      for await (const p of s.client.system.ticks({ count: 5 })) seen.push(p.done);
      expect(seen).toEqual([1, 2, 3, 4, 5]);
    });

    it("cancels the server-side producer when the caller aborts", async () => {
      s.producer.produced = 0;
      s.producer.finished = false;
      const ac = new AbortController();
      const seen: number[] = [];
      const run = (async () => {
        for await (const p of s.client.system.ticks({ count: 10_000, intervalMs: 5 }, { signal: ac.signal })) {
          seen.push(p.done);
          if (p.done === 3) ac.abort("enough");
        }
      })();
      await expect(run).rejects.toMatchObject({ code: "cancelled" });
      await sleep(100);
      const stoppedAt = s.producer.produced;
      await sleep(150);
      expect(s.producer.sawAbort).toBe(true);
      expect(s.producer.finished).toBe(true);
      expect(s.producer.produced).toBe(stoppedAt); // nothing produced after the cancel
      expect(stoppedAt).toBeLessThan(10);
      expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
      expect(s.pending()).toBe(0);
    });

    it("cancels the producer when the consumer breaks out of the loop", async () => {
      s.producer.finished = false;
      for await (const p of s.client.system.ticks({ count: 10_000, intervalMs: 5 })) {
        if (p.done === 2) break;
      }
      await sleep(100);
      expect(s.producer.finished).toBe(true);
      expect(s.producer.produced).toBeLessThan(10);
    });

    it("rejects a malformed call by schema with a typed error naming the field", async () => {
      const bad = s.rawClient.system.ticks({ count: "many" as unknown as number });
      const err = await (async () => {
        try {
          for await (const _ of bad) void _;
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("invalid_input");
      expect((err as ApiError).message).toMatch(/count/);
      expect((err as ApiError).details).toMatchObject({ issues: [{ path: "count" }] });
      // The client-side check catches it before any round trip, with the same typed error.
      await expect(s.client.system.info({ extra: 1 } as never)).rejects.toMatchObject({ code: "invalid_input" });
    });
  });
}

describe("WebSocket admission", () => {
  let http: RunningHttpServer;
  beforeAll(async () => {
    http = await startHttpServer({ staticDir: null, onConnection: (ch) => serveApi(contract, instrumentedHandlers().handlers, ch) });
    opened.push(http);
  });

  it("accepts the right token and origin", async () => {
    const url = `ws://127.0.0.1:${http.port}/api?token=${http.token}`;
    expect(await handshakeStatus(url, { Origin: `http://127.0.0.1:${http.port}` })).toBe(101);
  });
  it("refuses a connection without the token, or with a wrong one", async () => {
    expect(await handshakeStatus(`ws://127.0.0.1:${http.port}/api`)).toBe(401);
    expect(await handshakeStatus(`ws://127.0.0.1:${http.port}/api?token=${http.token}x`)).toBe(401);
  });
  it("refuses a foreign Origin even with the token", async () => {
    const url = `ws://127.0.0.1:${http.port}/api?token=${http.token}`;
    expect(await handshakeStatus(url, { Origin: "http://evil.example" })).toBe(403);
    expect(await handshakeStatus(url, { Origin: `http://127.0.0.1:${http.port + 1}` })).toBe(403);
  });
  it("refuses a foreign Host header (DNS rebinding)", async () => {
    const url = `ws://127.0.0.1:${http.port}/api?token=${http.token}`;
    expect(await handshakeStatus(url, { Host: `rebind.example:${http.port}` })).toBe(421);
    expect(await httpStatus(http.port, `rebind.example:${http.port}`)).toBe(421);
    expect(await httpStatus(http.port, `127.0.0.1:${http.port}`)).toBe(200);
  });
  it("will not listen on a non-loopback interface without --allow-remote", async () => {
    await expect(startHttpServer({ host: "0.0.0.0", staticDir: null, onConnection: () => undefined })).rejects.toThrow(/allow-remote/);
  });
});

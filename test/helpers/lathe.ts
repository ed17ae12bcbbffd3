// Starts a real `lathe serve` (store in a temp folder, engine host with 1 thread) and a
// typed API client over a real WebSocket, for api and e2e tests.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { contract, createApiClient, webSocketChannel, type ApiClient, type LatheContract, type WebSocketLike } from "../../core/api/index.ts";
import { startLathe, type RunningLathe, type StartLatheOptions } from "../../server/app.ts";

export interface TestLathe {
  lathe: RunningLathe;
  api: ApiClient<LatheContract>;
  dataDir: string;
  close(): Promise<void>;
}

/** The successor rule from a character: printable ASCII +1 ('~' wraps to ' '), '\n' to 'a'. */
export function successorText(after: string, length: number): string {
  let c = after.charCodeAt(0);
  let out = "";
  for (let i = 0; i < length; i++) {
    c = c === 10 ? 97 : c === 126 ? 32 : c + 1;
    out += String.fromCharCode(c);
  }
  return out;
}

export async function connectClient(lathe: RunningLathe): Promise<ApiClient<LatheContract>> {
  const ws = new WebSocket(`ws://127.0.0.1:${lathe.http.port}/api?token=${lathe.http.token}`);
  await new Promise<void>((ok, fail) => {
    ws.once("open", () => ok());
    ws.once("error", fail);
  });
  return createApiClient(contract, webSocketChannel(ws as unknown as WebSocketLike));
}

export async function startTestLathe(options: StartLatheOptions = {}): Promise<TestLathe> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "lathe-test-"));
  const lathe = await startLathe({ threads: 1, staticDir: null, ...options, dataDir });
  const api = await connectClient(lathe);
  return {
    lathe,
    api,
    dataDir,
    async close() {
      api.$close();
      await lathe.close();
    },
  };
}

/** Collects a stream's packets. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

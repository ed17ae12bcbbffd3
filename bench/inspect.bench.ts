// `npm run bench inspect`: the GGUF inspector (core/gguf/inspect.ts: validate the header, then
// report) against node-llama-cpp's readGgufFileInfo on the same files, interleaved, reported as a
// ratio of medians (< 1 = the inspector is faster); plus the bytes each reads and a memory-fit
// estimate through the engine host (first call includes starting the host).
import { stat } from "node:fs/promises";
import { readGgufFileInfo } from "node-llama-cpp";
import { inspectGguf } from "../core/gguf/inspect.ts";
import { EngineClient } from "../engine/client/EngineClient.ts";
import { benchFixture, ensureBenchFixtures, ensureFixtures, fixture, openGgufFile } from "../test/helpers/fixtures.ts";
import { interleave, median, round, timeMs } from "./lib.ts";
import type { BenchReport } from "./lib.ts";

const ROUNDS = 15;

async function inspectFile(path: string): Promise<{ ms: number; bytes: number; params: number }> {
  const f = await openGgufFile(path);
  let params = 0;
  const ms = await timeMs(async () => {
    params = (await inspectGguf(f.readAt, f.size)).parameters;
  });
  await f.close();
  return { ms, bytes: f.bytesRead(), params };
}

async function nlcFile(path: string): Promise<{ ms: number; params: number }> {
  let params = 0;
  const ms = await timeMs(async () => {
    const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    params = (info.fullTensorInfo ?? info.tensorInfo ?? []).reduce((n, t) => n + t.dimensions.reduce((a: number, d) => a * Number(d), 1), 0);
  });
  return { ms, params };
}

export default async function (): Promise<BenchReport> {
  await ensureFixtures();
  await ensureBenchFixtures();
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  const files: [string, string][] = [
    ["successor.gguf", fixture.successor],
    ["demo.gguf", fixture.demo],
    ["bench-q8_0.gguf (162M)", benchFixture.q8_0],
    ["bench-f16.gguf (162M)", benchFixture.f16],
  ];
  for (const [label, path] of files) {
    const size = (await stat(path)).size;
    const first = await inspectFile(path);
    const other = await nlcFile(path);
    if (first.params !== other.params) notes.push(`PARAMETER MISMATCH on ${label}: inspector ${first.params}, node-llama-cpp ${other.params}`);
    const t = await interleave(ROUNDS, {
      inspector: async () => (await inspectFile(path)).ms,
      nodeLlamaCpp: async () => (await nlcFile(path)).ms,
    });
    const a = median(t.inspector);
    const b = median(t.nodeLlamaCpp);
    rows.push({
      file: label,
      MiB: round(size / 1048576),
      params: first.params,
      "inspector ms": round(a),
      "readGgufFileInfo ms": round(b),
      "inspector/nlc": round(a / b, 3),
      "inspector KiB read": round(first.bytes / 1024),
    });
  }
  notes.push(`medians of ${ROUNDS} interleaved rounds; inspector/nlc < 1 means the inspector is faster; both read the header only, parameter counts agree unless noted`);

  // A hostile header: node-llama-cpp's own parser read for minutes on it (see NODE-LLAMA-CPP.md); the inspector refuses it.
  const hostile = await timeMs(async () => {
    const f = await openGgufFile(fixture.broken.hugeTensorCount);
    await inspectGguf(f.readAt, f.size).catch(() => undefined);
    await f.close();
  });
  rows.push({ file: "broken/huge-tensor-count.gguf", MiB: null, params: null, "inspector ms": round(hostile), "readGgufFileInfo ms": null, "inspector/nlc": null, "inspector KiB read": null });

  const engine = new EngineClient({ host: { threads: 1, gpu: "auto" } });
  try {
    for (const [label, path] of files.slice(2, 3)) {
      const cold = await timeMs(() => engine.memoryFit({ path, contextSize: 4096 }));
      const warm: number[] = [];
      let verdict = "";
      for (let i = 0; i < 5; i++) {
        warm.push(
          await timeMs(async () => {
            verdict = (await engine.memoryFit({ path, contextSize: 4096 })).verdict;
          }),
        );
      }
      notes.push(`memoryFit on ${label}, 4096 ctx: ${verdict}; first call ${round(cold)} ms (starts the engine host), then median ${round(median(warm))} ms`);
    }
  } finally {
    await engine.dispose();
  }
  return { name: "inspect", rows, notes };
}

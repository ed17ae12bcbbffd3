// `npm run bench gguf`: the GGUF writer and header validator. Writes the ~162M-parameter bench
// models (when missing) and reports size and write speed; times building every test fixture in
// memory; times the validator (plus semantic check) on each broken fixture and on the bench
// model's header (goal: well under 100 ms each; node-llama-cpp's parser took minutes on one).
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { FIXTURE_CATALOG } from "../core/fixtures/catalog.ts";
import { BENCH_SHAPE, llamaParamCount } from "../core/fixtures/bench.ts";
import { validateGgufHeader } from "../core/gguf/header.ts";
import { checkModelSemantics } from "../core/gguf/semantics.ts";
import { writeFixtures } from "../scripts/fixtures.ts";
import {
  FIXTURES_DIR,
  benchFixture,
  ensureFixtures,
  fixture,
  openGgufFile,
} from "../test/helpers/fixtures.ts";
import { median, round, timeMs } from "./lib.ts";
import type { BenchReport } from "./lib.ts";

async function validateOnce(path: string): Promise<{ ms: number; bytesRead: number; fault: string }> {
  const f = await openGgufFile(path);
  let fault = "none";
  const ms = await timeMs(async () => {
    try {
      checkModelSemantics(await validateGgufHeader(f.readAt, f.size));
    } catch (e) {
      fault = (e as { code?: string }).code ?? String(e);
    }
  });
  await f.close();
  return { ms, bytesRead: f.bytesRead(), fault };
}

export default async function (): Promise<BenchReport> {
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  const fresh = process.argv.includes("--fresh");
  if (fresh) await rm(join(FIXTURES_DIR, "bench"), { recursive: true, force: true });

  const results = await writeFixtures({ benchOnly: true, log: (l) => console.log(`  ${l}`) });
  const params = llamaParamCount(BENCH_SHAPE);
  for (const r of results) {
    rows.push({
      item: `write ${r.file}`,
      action: r.action,
      MiB: round(r.bytes / 1048576),
      ms: round(r.ms),
      "MB/s": r.action === "written" ? round(r.bytes / 1e6 / (r.ms / 1000)) : null,
    });
  }
  notes.push(
    `bench models: ${round(params / 1e6)}M parameters (${BENCH_SHAPE.nLayer} x ${BENCH_SHAPE.nEmbd}, FFN ${BENCH_SHAPE.nFf}, vocab ${BENCH_SHAPE.nVocab}); rerun with --fresh to time writing`,
  );

  const buildMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    buildMs.push(
      await timeMs(() => {
        for (const e of FIXTURE_CATALOG.filter((x) => x.group === "test"))
          for (const _ of e.build().chunks());
      }),
    );
  }
  rows.push({
    item: "build all 14 test fixtures in memory",
    action: "median of 3",
    MiB: null,
    ms: round(median(buildMs)),
    "MB/s": null,
  });
  await ensureFixtures();
  rows.push({
    item: "ensureFixtures (all present)",
    action: "median of 3",
    MiB: null,
    ms: round(median(await Promise.all([0, 1, 2].map(() => timeMs(ensureFixtures))))),
    "MB/s": null,
  });

  const targets: [string, string][] = [
    ...Object.entries(fixture.broken).map(([k, p]) => [`validate broken.${k}`, p] as [string, string]),
    ["validate successor", fixture.successor],
    ["validate bench-q8_0 (32k-token vocab)", benchFixture.q8_0],
  ];
  let worst = 0;
  for (const [item, path] of targets) {
    const runs = [];
    for (let i = 0; i < 7; i++) runs.push(await validateOnce(path));
    const ms = median(runs.map((r) => r.ms));
    worst = Math.max(worst, ms);
    rows.push({
      item,
      action: runs[0]!.fault,
      MiB: round(runs[0]!.bytesRead / 1048576, 3),
      ms: round(ms, 3),
      "MB/s": null,
    });
  }
  notes.push(
    `slowest validation (median of 7): ${round(worst, 3)} ms (goal < 100 ms); MiB column = header bytes read`,
  );
  return { name: "gguf", rows, notes };
}

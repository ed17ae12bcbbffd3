// `npm run bench [name ...]`: runs bench/<name>.bench.ts (all when no name is given),
// prints each report as a table and writes it to bench/results/<name>.json.
import { readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchReport } from "./lib.ts";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.slice(0, -".bench.ts".length))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const names = wanted.length ? wanted : available;
const unknown = names.filter((n) => !available.includes(n));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Available: ${available.join(", ")}`);
  process.exit(2);
}
mkdirSync(join(here, "results"), { recursive: true });
for (const name of names) {
  console.log(`\n== bench ${name} ==`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { default: () => Promise<BenchReport> };
  const report = await mod.default();
  console.table(report.rows);
  for (const n of report.notes) console.log(`  ${n}`);
  writeFileSync(join(here, "results", `${name}.json`), JSON.stringify({ ...report, at: new Date().toISOString() }, null, 2));
}

// The Evaluate panel end to end in Chromium against `lathe serve` and the real engine on
// the demo models. The app frame does not mount the panel yet, so (as the sampling e2e
// does) the test builds a page that mounts EvaluatePanel with the app's API connection.
// It checks the acceptance: a malformed dataset shows its bad lines and imports nothing
// without consent, and a suite is made from the imported rows; a builtin generation suite and a multiple-choice suite run on the base
// Successor model and its +2 adapter; the comparison shows the deltas with intervals.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { ApiClient, LatheContract } from "../../core/api/index.ts";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium } from "../helpers/browser.ts";
import { buildPanelPage } from "../helpers/panelPage.ts";
import { collect, connectClient } from "../helpers/lathe.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-eval-"));
const shots = join("test-results", "screenshots");
let lathe: RunningLathe;
let api: ApiClient<LatheContract>;
let browser: Browser;
let page: Page;


beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const staticDir = await buildPanelPage("renderer/evaluation/EvaluatePanel.svelte", "Evaluate");
  lathe = await startLathe({ dataDir: data, threads: 1, staticDir });
  api = await connectClient(lathe);
  const done = (await collect(api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(lathe.http.url);
  await page.waitForFunction(() => (document.querySelector('[data-testid="eval-suite"]') as HTMLSelectElement | null)?.options.length === 6);
});
afterAll(async () => {
  await browser?.close();
  api?.$close();
  await lathe?.close();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 60_000, interval: 100 });

it("shows a malformed dataset's bad lines and imports nothing without consent", async () => {
  const before = (await api.evaluation.listDatasets({})).length;
  const text = ['{"input":"abc","reference":"def"}', '{"input": "oops"', '{"reference":"no input"}', '{"input":"klm","reference":"nop"}'].join("\n");
  const file = { name: "broken.jsonl", mimeType: "application/json", buffer: Buffer.from(text) };
  await page.getByTestId("eval-dataset-file").setInputFiles(file);
  await poll(() => page.getByTestId("eval-rejected-row").count()).toBe(2);
  const rows = await page.getByTestId("eval-rejected-row").allTextContents();
  expect(rows[0]).toMatch(/^2\(line\)is not valid JSON/);
  expect(rows[1]).toMatch(/^3inputis missing/);
  expect(await page.getByTestId("eval-import").isDisabled()).toBe(true);
  await shot("evaluate-rejected");
  await page.getByTestId("eval-import-cancel").click();
  expect((await api.evaluation.listDatasets({})).length).toBe(before);
  // With consent, only the good rows are stored.
  await page.getByTestId("eval-dataset-file").setInputFiles({ ...file, name: "broken-again.jsonl" });
  await page.getByTestId("eval-consent").check();
  await page.getByTestId("eval-import").click();
  await poll(() => page.getByTestId("eval-import-message").textContent()).toMatch(/Imported 2 items/);
  expect((await api.evaluation.listDatasets({})).length).toBe(before + 1);
  // A suite made from the new dataset in the panel.
  await page.getByTestId("eval-new-suite").locator("summary").click();
  await page.getByTestId("eval-new-name").fill("My letters");
  await page.getByTestId("eval-new-dataset").selectOption({ label: "broken-again.jsonl" });
  await page.getByTestId("eval-new-suite").getByLabel("exact_match").check();
  await page.getByTestId("eval-new-save").click();
  await poll(async () => (await api.evaluation.listSuites({})).find((x) => x.name === "My letters")?.metrics).toEqual([{ name: "exact_match" }]);
  await expect.poll(() => page.getByTestId("eval-suite").locator("option:checked").textContent()).toBe("My letters (generation)");
});

async function runSuite(suite: string, adapter: string | null, label: string, count: number): Promise<void> {
  await page.getByTestId("eval-suite").selectOption({ label: suite });
  await page.getByTestId("eval-model").selectOption({ label: "Successor (demo: next letter)" });
  await page.getByTestId("eval-adapter").selectOption(adapter ? { label: adapter } : { index: 0 });
  await page.getByTestId("eval-label").fill(label);
  await page.getByTestId("eval-run").click();
  await poll(() => page.getByTestId("eval-run-row").count()).toBe(count);
  await poll(() => page.getByTestId("eval-run-status").first().textContent()).toMatch(/^complete/);
}

it("runs a builtin generation suite and a multiple-choice suite on base and +2, and compares them", async () => {
  await runSuite("Demo: next three characters (generation)", null, "gen base", 1);
  expect(await page.getByTestId("eval-run-metrics").first().textContent()).toMatch(/exact_match 1\.0000/);
  await runSuite("Demo: next three characters (generation)", "Successor +2 (demo adapter)", "gen +2", 2);
  expect(await page.getByTestId("eval-run-metrics").first().textContent()).toMatch(/exact_match 0\.0000/);
  await runSuite("Demo: which characters come next (multiple_choice)", null, "mc base", 3);
  await runSuite("Demo: which characters come next (multiple_choice)", "Successor +2 (demo adapter)", "mc +2", 4);
  expect(await page.getByTestId("eval-run-metrics").first().textContent()).toBe("acc 0.0000, acc_norm 0.0000");
  expect(await page.getByTestId("eval-run-metrics").nth(1).textContent()).toBe("acc 1.0000, acc_norm 1.0000");

  // Multiple choice: A = base (second row), B = +2 (newest).
  await page.getByTestId("eval-run-row").nth(1).getByLabel("Run A").check();
  await page.getByTestId("eval-run-row").nth(0).getByLabel("Run B").check();
  await page.getByTestId("eval-compare").click();
  await poll(() => page.getByTestId("eval-delta").count()).toBe(2);
  expect(await page.getByTestId("eval-delta").allTextContents()).toEqual(["-1.0000", "-1.0000"]);
  expect(await page.getByTestId("eval-delta-row").first().textContent()).toMatch(/\[-1\.0000, -1\.0000\].*0 \/ 5 \/ 0/);
  expect(await page.getByTestId("eval-bar-chart").count()).toBe(1);

  // Generation: base vs +2.
  await page.getByTestId("eval-run-row").nth(3).getByLabel("Run A").check();
  await page.getByTestId("eval-run-row").nth(2).getByLabel("Run B").check();
  await page.getByTestId("eval-compare").click();
  await poll(() => page.getByTestId("eval-delta-row").first().textContent()).toMatch(/^exact_match1\.00000\.0000-1\.0000/);
  await shot("evaluate-comparison");
});

// The forgetting check from the Adapters panel in Chromium: `lathe serve` on a temp data
// folder with the demo models, the real panel over the real WebSocket and engine. The +2
// adapter is checked on a target suite that follows the +2 rule and on the builtin guard
// suite that follows the base model's +1 rule: the guard row is flagged as forgetting with
// its explanation, the target row is not, the chart draws both, and the report reopens.
// Screenshots go to test-results/screenshots/ (git-ignored).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { ApiClient, LatheContract } from "../../core/api/index.ts";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium, chooseOption } from "../helpers/browser.ts";
import { buildPanelPage } from "../helpers/panelPage.ts";
import { collect, connectClient } from "../helpers/lathe.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-forgetting-"));
const shots = join("test-results", "screenshots");
let lathe: RunningLathe;
let api: ApiClient<LatheContract>;
let browser: Browser;
let page: Page;

const choose = (testId: string, prefix: string) => chooseOption(page, testId, prefix);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const staticDir = await buildPanelPage("renderer/adapters/AdaptersPanel.svelte", "Adapters");
  lathe = await startLathe({ dataDir: data, threads: 1, staticDir });
  api = await connectClient(lathe);
  const done = (await collect(api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  // A target suite the +2 adapter was "trained" for: each input continued by the +2 rule.
  const plus2 = [["abc", "egi"], ["klm", "oqs"], ["uvw", "y{}"], ["ABC", "EGI"], ["123", "579"], ["pqr", "tvx"]];
  const { dataset } = await api.evaluation.importDataset({ text: plus2.map(([input, reference]) => JSON.stringify({ input, reference })).join("\n"), fileName: "plus2.jsonl" });
  await api.evaluation.saveSuite({ name: "Skip one letter", datasetId: dataset.id, task: "generation", metrics: [{ name: "exact_match" }], sampling: { temperature: 0, maxTokens: 3 } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(lathe.http.url);
});
afterAll(async () => {
  await browser?.close();
  api?.$close();
  await lathe?.close();
});

describe("the forgetting check in Chromium", () => {
  it("flags the +1-rule guard suite under the +2 adapter, not the +2-rule target", async () => {
    await expect.poll(() => page.getByTestId("adapters-tab-forgetting").count(), { timeout: 30_000 }).toBe(1);
    await page.getByTestId("adapters-tab-forgetting").click();
    await expect.poll(() => page.getByTestId("forgetting-suite").count(), { timeout: 30_000 }).toBeGreaterThan(5);
    await choose("forgetting-model", "Successor");
    await choose("forgetting-set-choose", "Successor +2");
    await page.getByTestId("forgetting-set-add").click();
    await page.getByLabel("Role of Skip one letter").selectOption("target");
    await page.getByLabel("Role of Demo: next three characters").selectOption("guard");
    await expect.poll(() => page.getByTestId("forgetting-run").textContent()).toContain("on 2 suites");
    await page.getByTestId("forgetting-run").click();

    const report = page.getByTestId("forgetting-report");
    await expect.poll(() => report.getAttribute("data-status").catch(() => null), { timeout: 120_000 }).toBe("complete");
    expect(await report.getAttribute("data-flagged")).toBe("1");
    const rows = await page.getByTestId("forgetting-row").evaluateAll((rs) => rs.map((r) => [r.getAttribute("data-name"), r.getAttribute("data-role"), r.getAttribute("data-forgetting"), r.getAttribute("data-delta")]));
    // In the suite list's order: builtin suites first.
    expect(rows).toEqual([
      ["Demo: next three characters", "guard", "true", "-1"],
      ["Skip one letter", "target", "false", "1"],
    ]);
    const flagged = page.locator('[data-testid="forgetting-row"][data-forgetting="true"]');
    expect(await flagged.getByTestId("forgetting-flag").textContent()).toContain("forgetting");
    expect(await page.getByTestId("forgetting-explain").textContent()).toMatch(/catastrophic forgetting.*not trained for/);
    const bars = await page.getByTestId("forgetting-chart-bar").evaluateAll((bs) => bs.map((b) => [b.getAttribute("data-name"), Number(b.getAttribute("data-gain"))]));
    expect(bars).toEqual([
      ["Demo: next three characters", -1],
      ["Skip one letter", 1],
    ]);
    expect(await page.getByTestId("forgetting-chart-ci").count()).toBe(2);
    await page.screenshot({ path: join(shots, "adapters-forgetting.png"), fullPage: true });

    // The report is stored: it is listed and reopens with the same rows.
    const listed = await api.adapters.forgettingReports({});
    expect(listed).toHaveLength(1);
    expect(listed[0]!.suites.map((s) => s.result?.forgetting)).toEqual([true, false]);
    expect(await page.getByTestId("forgetting-reports").locator("option").count()).toBe(2);
  });
});

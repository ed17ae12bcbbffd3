// The Critique panel end to end in Chromium against `lathe serve` and the real engine on
// the demo models. The test builds a small page that mounts CritiquePanel with the same
// API connection the app uses (the app frame's rail is not needed for what is checked)
// and serves it as `lathe serve`'s static folder. It runs a two-round critique on the
// successor model (three steps stored), generates four responses on the bigram model,
// ranks them by drag and drop with one tie (five pairs), and downloads SFT and
// preference files that parse with the expected counts. Screenshots go to
// test-results/screenshots/ (git-ignored).
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { ApiClient, LatheContract } from "../../core/api/index.ts";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium, chooseOption } from "../helpers/browser.ts";
import { buildPanelPage } from "../helpers/panelPage.ts";
import { collect, connectClient, successorText } from "../helpers/lathe.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-critique-"));
const shots = join("test-results", "screenshots");
let lathe: RunningLathe;
let api: ApiClient<LatheContract>;
let browser: Browser;
let page: Page;


beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const staticDir = await buildPanelPage("renderer/critique/CritiquePanel.svelte", "Critique");
  lathe = await startLathe({ dataDir: data, threads: 1, staticDir });
  api = await connectClient(lathe);
  const done = (await collect(api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await page.goto(lathe.http.url);
  // The panel picks the first available model once the catalog arrives.
  await page.waitForFunction(() => !!(document.querySelector('[data-testid="critique-model"]') as HTMLSelectElement | null)?.value);
});
afterAll(async () => {
  await browser?.close();
  api?.$close();
  await lathe?.close();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
/** Polls long enough for the engine (model loads, generation on one CPU thread). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 100 });

const choose = (testId: string, prefix: string) => chooseOption(page, testId, prefix);

/** Clicks Download in the export dialog and returns the downloaded file's JSON lines. */
async function downloadLines(): Promise<Record<string, unknown>[]> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-download").click()]);
  const text = readFileSync((await download.path())!, "utf8");
  expect(download.suggestedFilename()).toMatch(/^lathe-(sft|preferences(-plain|-conversational)?)-\d{8}-\d{4}\.jsonl$/);
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const answer = successorText("\n", 8);

it("runs a two-round critique on the demo model: each step streams in and three steps are stored", async () => {
  await choose("critique-model", "Successor");
  await choose("critique-preset", "Greedy");
  await page.getByTestId("critique-rounds").fill("2");
  await page.getByTestId("critique-stop-kind").selectOption("never");
  await page.getByTestId("critique-max-tokens").fill("8");
  await page.getByTestId("critique-prompt").fill("How do I sharpen a chisel?");
  await page.getByTestId("critique-start").click();
  await poll(() => page.getByTestId("critique-run-status").getAttribute("data-status")).toBe("complete");
  const steps = page.getByTestId("critique-step");
  expect(await steps.count()).toBe(3);
  expect(await steps.evaluateAll((els) => els.map((e) => e.getAttribute("data-index")))).toEqual(["0", "1", "2"]);
  expect(await page.getByTestId("critique-step-text").allInnerTexts()).toEqual([answer, answer, answer]);
  expect(await page.getByTestId("critique-step-critique").allInnerTexts()).toEqual([answer, answer]);
  expect(await steps.nth(1).innerText()).toMatch(/Round 1\s+helpful/);
  expect(await steps.nth(2).innerText()).toMatch(/Round 2\s+honest/);
  expect(await page.getByTestId("critique-diff-summary").innerText()).toBe("No change between the initial and the final answer.");
  await shot("critique-run");

  const runs = await api.critique.listRuns({});
  expect(runs).toHaveLength(1);
  const run = await api.critique.getRun({ id: runs[0]!.id });
  expect(run).toMatchObject({ status: "complete", stopReason: "rounds", roundsRun: 2, final: answer, modelFile: "successor.gguf" });
  expect(run.steps.map((s) => [s.index, s.kind, s.principleIds])).toEqual([
    [0, "initial", []],
    [1, "round", ["helpful"]],
    [2, "round", ["honest"]],
  ]);
  expect(run.steps.every((s) => s.provenance?.modelFile === "successor.gguf")).toBe(true);
});

it("ranks four generated responses by drag and drop with one tie: five preference pairs", async () => {
  // Random sampling with different seeds gives four different answers.
  await choose("critique-preset", "Balanced");
  await page.getByTestId("critique-max-tokens").fill("24");
  await choose("critique-model", "Bigram");
  await page.getByTestId("critique-tab-rank").click();
  await page.getByTestId("feedback-prompt").fill("Tell me about the workshop.");
  await page.getByTestId("feedback-k").fill("4");
  await page.getByTestId("feedback-generate").click();
  await poll(() => page.getByTestId("rank-item").count()).toBe(4);
  const order = () => page.getByTestId("rank-tier").evaluateAll((els) => els.map((t) => [...t.querySelectorAll('[data-testid="rank-item"]')].map((i) => Number(i.getAttribute("data-index")))));
  expect(await order()).toEqual([[0], [1], [2], [3]]);
  const item = (i: number) => page.locator(`[data-testid="rank-item"][data-index="${i}"]`);
  // #3 to the top, on its own.
  await item(2).dragTo(page.getByTestId("rank-gap").first());
  await poll(order).toEqual([[2], [0], [1], [3]]);
  // #4 onto #1's place: a tie.
  await item(3).dragTo(page.getByTestId("rank-tier").nth(1));
  await poll(order).toEqual([[2], [0, 3], [1]]);
  expect(await page.getByTestId("critique-ranking").innerText()).toMatch(/5 preference pairs from this ranking/);
  await page.getByTestId("feedback-annotator").fill("e2e");
  await page.getByTestId("feedback-save-ranking").click();
  await poll(() => page.getByTestId("feedback-notice").innerText()).toBe("Saved: 5 preference pairs.");
  await poll(() => page.locator('[data-testid="preference-row"][data-source="human"]').count()).toBe(5);
  await shot("critique-ranking");

  const prefs = await api.feedback.preferences({ source: "human" });
  expect(prefs.map((p) => [p.a, p.b, p.winner])).toEqual([
    [0, 1, "a"],
    [0, 2, "b"],
    [1, 2, "b"],
    [1, 3, "b"],
    [2, 3, "a"],
  ]);
  expect(prefs[0]).toMatchObject({ annotator: "e2e", guideline: expect.stringMatching(/helpful, honest and harmless/) });
  expect(new Set([prefs[0]!.textA, prefs[0]!.textB, prefs[4]!.textA, prefs[4]!.textB]).size).toBe(4);
});

it("shows counts before writing, then downloads SFT and preference files that parse", async () => {
  await page.getByTestId("critique-export").click();
  await poll(() => page.getByTestId("export-count").getAttribute("data-count")).toBe("1");
  expect(await page.getByTestId("export-count").innerText()).toMatch(/^1 line will be written to lathe-sft-/);
  const sft = await downloadLines();
  expect(sft).toEqual([{ messages: [{ role: "user", content: "How do I sharpen a chisel?" }, { role: "assistant", content: answer }] }]);

  await page.getByTestId("export-kind-preferences").check();
  await poll(() => page.getByTestId("export-count").getAttribute("data-count")).toBe("5");
  await shot("critique-export");
  const plain = await downloadLines();
  expect(plain).toHaveLength(5);
  for (const l of plain) {
    expect(Object.keys(l)).toEqual(["prompt", "chosen", "rejected"]);
    expect(l.prompt).toBe("Tell me about the workshop.");
    expect(typeof l.chosen).toBe("string");
    expect(l.chosen).not.toBe(l.rejected);
  }

  await page.getByTestId("export-form-conversational").check();
  await poll(() => page.getByTestId("export-count").getAttribute("data-count")).toBe("5");
  const conversational = await downloadLines();
  expect(conversational).toHaveLength(5);
  expect(conversational.map((l) => (l.chosen as { content: string }[])[0]!.content)).toEqual(plain.map((l) => l.chosen));
  expect(conversational[0]!.prompt).toEqual([{ role: "user", content: "Tell me about the workshop." }]);

  // Only this annotator's, or only where the AI agreed (nothing judged yet): counts follow the filters.
  await page.getByTestId("export-annotator").fill("someone else");
  await page.getByTestId("export-annotator").blur();
  await poll(() => page.getByTestId("export-count").getAttribute("data-count")).toBe("0");
  expect(await page.getByTestId("export-download").isDisabled()).toBe(true);
});

// The Adapters panel end to end: `lathe serve` on a temp data folder with the demo models,
// Debian Chromium driving the real AdaptersPanel over the real WebSocket and engine. The
// app frame does not mount the panel yet, so the test builds a one-panel page (the panel
// plus the API connection the app uses) and serves it as the shell's static folder.
// Checks: the library with badges, a mismatched adapter refused with llama.cpp's reason,
// a conversation switched from the +1 rule to the +2 adapter between two messages with one
// model load, a scale sweep chart with the mixed output in between, the compare view's
// first differing token, and the drift meter (KL of +2 large, of scale 0 about zero).
// Screenshots go to test-results/screenshots/ (git-ignored).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { ApiClient, LatheContract } from "../../core/api/index.ts";
import type { ModelRecord } from "../../core/history/types.ts";
import { continueRule, mixedNext, plus2Next, successorNext } from "../../core/fixtures/successor.ts";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium, chooseOption } from "../helpers/browser.ts";
import { buildPanelPage } from "../helpers/panelPage.ts";
import { fixture } from "../helpers/fixtures.ts";
import { collect, connectClient, successorText } from "../helpers/lathe.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-adapters-"));
const shots = join("test-results", "screenshots");
let lathe: RunningLathe;
let api: ApiClient<LatheContract>;
let browser: Browser;
let page: Page;
let successor: ModelRecord;
let conversationId: string;

const rule = (r: (t: number) => number, after: string, n: number) => String.fromCharCode(...continueRule(r, after.charCodeAt(0), n));
const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

const choose = (testId: string, prefix: string) => chooseOption(page, testId, prefix);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const staticDir = await buildPanelPage("renderer/adapters/AdaptersPanel.svelte", "Adapters");
  lathe = await startLathe({ dataDir: data, threads: 1, staticDir });
  api = await connectClient(lathe);
  const done = (await collect(api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  successor = done.models.find((m) => m.name.startsWith("Successor"))!;
  // The chat panel belongs to the app frame; the conversation's first answer comes through the API.
  const preset = await api.presets.save({ name: "Short greedy", config: { temperature: 0, maxTokens: 12 } });
  const conv = await api.history.createConversation({ title: "Letters", modelId: successor.id, presetId: preset.id });
  conversationId = conv.id;
  const first = (await collect(api.chat.send({ conversationId, content: "abc" }))).at(-1);
  if (first?.type !== "done" || first.message.content !== successorText("\n", 12)) throw new Error(`unexpected first answer ${JSON.stringify(first)}`);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(lathe.http.url);
});
afterAll(async () => {
  await browser?.close();
  api?.$close();
  await lathe?.close();
});

describe("the Adapters panel in Chromium", () => {
  it("shows the demo adapters with a compatibility badge per model", async () => {
    await expect.poll(() => page.getByTestId("adapter-row").count(), { timeout: 30_000 }).toBe(3);
    const names = await page.getByTestId("adapter-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
    expect(names).toEqual(["Kitchen (demo adapter for Bigram)", "Successor +2 (demo adapter)", "Successor -1 (demo adapter)"]);
    const row = page.locator('[data-testid="adapter-row"][data-name="Successor +2 (demo adapter)"]');
    const badges = await row.getByTestId("compat-badge").evaluateAll((bs) => bs.map((b) => [b.getAttribute("data-model"), b.getAttribute("data-compatible")]));
    expect(badges).toEqual(
      expect.arrayContaining([
        ["Successor (demo: next letter)", "true"],
        ["Bigram workshop (demo)", "true"],
      ]),
    );
    expect(await row.getByTestId("adapter-rank").innerText()).toMatch(/^\d+ \/ \d+$/);
  });

  it("refuses an adapter for another base with llama.cpp's reason", async () => {
    await page.getByTestId("adapter-path").fill(fixture.successorWrongBase);
    await page.getByTestId("adapter-add").click();
    const problem = page.getByTestId("adapter-add-error");
    await expect.poll(() => problem.count()).toBe(1);
    expect(await problem.getAttribute("data-refusal")).toBe("wrong_base");
    expect(await problem.innerText()).toContain("tensor 'output.weight' has incorrect shape (hint: maybe wrong base model?)");
    expect(await page.getByTestId("adapter-add-anyway").isVisible()).toBe(true);
    expect(await page.getByTestId("adapter-row").count()).toBe(3);
    await shot("adapters-library");
  });

  it("switches the conversation from the +1 rule to the +2 adapter between two messages, loading the model once", async () => {
    await page.getByTestId("adapters-tab-apply").click();
    await choose("apply-conversation", "Letters");
    await expect.poll(() => page.getByTestId("apply-answer-set").allInnerTexts()).toEqual(["base"]);
    await choose("apply-set-choose", "Successor +2");
    await page.getByTestId("apply-set-add").click();
    await page.getByTestId("apply-set-save").click();
    const swap = page.getByTestId("swap-result");
    await expect.poll(() => swap.count(), { timeout: 30_000 }).toBe(1);
    expect(await swap.getAttribute("data-model-loads")).toBe("1");
    expect(await swap.getAttribute("data-context-created")).toBe("true");
    expect(await swap.innerText()).toMatch(/Swapped to Successor \+2 \(demo adapter\) ×1 in [\d.]+ m?s .*the base model was not reloaded/);
    expect(await page.getByTestId("apply-current").innerText()).toBe("Successor +2 (demo adapter) ×1");

    const second = (await collect(api.chat.send({ conversationId, content: "more" }))).at(-1);
    expect(second?.type === "done" && second.message.content).toBe("a" + rule(plus2Next, "a", 11));
    expect((await api.engine.status({})).counters.modelLoads).toBe(1);
    // Reopening the conversation lists both answers with the sets they were made with.
    await choose("apply-conversation", "Letters");
    await expect.poll(() => page.getByTestId("apply-answer-set").allInnerTexts()).toEqual(["base", "Successor +2 (demo adapter) ×1"]);
    await shot("adapters-conversation-set");
  });

  it("charts a scale sweep with the mixed output between the base and the +2 rule", async () => {
    await page.getByTestId("adapters-tab-sweep").click();
    await choose("sweep-model", "Successor");
    await page.getByTestId("sweep-prompt").fill("b");
    await page.getByTestId("sweep-chat").uncheck();
    await page.getByTestId("sweep-max-tokens").fill("10");
    await choose("sweep-adapter", "Successor +2");
    await page.getByTestId("sweep-scales").fill("0, 0.5, ..., 1");
    await page.getByTestId("sweep-run").click();
    await expect.poll(() => page.getByTestId("sweep-chart-point").count(), { timeout: 60_000 }).toBe(3);
    const outputs = await page.getByTestId("sweep-output").allInnerTexts();
    expect(outputs).toEqual([rule(successorNext, "b", 10), rule(mixedNext(plus2Next), "b", 10), rule(plus2Next, "b", 10)]);
    const ys = await page.getByTestId("sweep-chart-point").evaluateAll((ps) => ps.map((p) => Number(p.getAttribute("data-y"))));
    expect(ys[0]).toBe(1);
    expect(ys[1]).toBeCloseTo(0.1, 5);
    expect(ys[2]).toBe(0);
    await shot("adapters-scale-sweep");
  });

  it("compares the base with +2 at 0.5 and highlights the first differing token", async () => {
    await page.getByTestId("adapters-tab-compare").click();
    await choose("compare-model", "Successor");
    await page.getByTestId("compare-prompt").fill("b");
    await page.getByTestId("compare-chat").uncheck();
    await page.getByTestId("compare-max-tokens").fill("8");
    await choose("compare-set-b-choose", "Successor +2");
    await page.getByTestId("compare-set-b-add").click();
    await page.getByTestId("compare-set-b-scale-value").fill("0.5");
    await page.getByTestId("compare-set-b-scale-value").press("Tab");
    await expect.poll(() => page.getByTestId("compare-set-b-item").getAttribute("data-scale")).toBe("0.5");
    await page.getByTestId("compare-run").click();
    await expect.poll(() => page.getByTestId("first-diff").count(), { timeout: 60_000 }).toBe(2);
    expect(await page.getByTestId("first-diff").allInnerTexts()).toEqual(["d", "e"]);
    expect(await page.getByTestId("compare-output").allInnerTexts()).toEqual([rule(successorNext, "b", 8), rule(mixedNext(plus2Next), "b", 8)]);
    expect(await page.getByTestId("compare-summary").innerText()).toMatch(/part at token 2/);
    await shot("adapters-compare");
  });

  it("measures drift: KL of +2 from the base is large, of scale 0 about zero", async () => {
    await page.getByTestId("adapters-tab-drift").click();
    await choose("drift-model", "Successor");
    await choose("drift-set-choose", "Successor +2");
    await page.getByTestId("drift-set-add").click();
    await page.getByTestId("drift-text").fill("The quick brown fox jumps");
    await page.getByTestId("drift-run").click();
    const summary = page.getByTestId("drift-summary");
    await expect.poll(() => summary.count(), { timeout: 60_000 }).toBe(1);
    expect(Number(await summary.getAttribute("data-mean-kl"))).toBeGreaterThan(5);
    expect(await page.getByTestId("drift-chart-bar").count()).toBe("The quick brown fox jumps".length - 1);
    expect(await page.getByTestId("drift-chart-highlight").count()).toBe(1);
    await shot("adapters-drift");

    await page.getByTestId("drift-set-scale-value").fill("0");
    await page.getByTestId("drift-set-scale-value").press("Tab");
    await page.getByTestId("drift-run").click();
    await expect.poll(async () => Number(await summary.getAttribute("data-mean-kl")), { timeout: 60_000 }).toBeLessThan(1e-3);
    expect(Number(await summary.getAttribute("data-max-kl"))).toBeLessThan(1e-3);
  });
});

// The Sampling panel end to end in Chromium against `lathe serve` and the real engine on
// the demo models. The app frame does not mount the panel yet, so the test builds a small
// page that mounts SamplingPanel with the same API connection the app uses, and serves it
// as `lathe serve`'s static folder. It checks the acceptance of the sampling lab: temperature
// 0 leaves one bar at 100%, top-k 3 three bars; three configs compared at once, each column
// equal to a single run with the same seed; clicking an alternative token makes a branch
// that starts with it. Screenshots go to test-results/screenshots/ (git-ignored).
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { ApiClient, LatheContract } from "../../core/api/index.ts";
import type { Message } from "../../core/history/types.ts";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium } from "../helpers/browser.ts";
import { buildPanelPage } from "../helpers/panelPage.ts";
import { collect, connectClient } from "../helpers/lathe.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-sampling-"));
const shots = join("test-results", "screenshots");
let lathe: RunningLathe;
let api: ApiClient<LatheContract>;
let browser: Browser;
let page: Page;
let demoId = "";
let answer12: Message;


beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  const staticDir = await buildPanelPage("renderer/sampling/SamplingPanel.svelte", "Sampling");
  lathe = await startLathe({ dataDir: data, threads: 1, staticDir });
  api = await connectClient(lathe);
  const done = (await collect(api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  // An answer to look at in the token view: 12 greedy tokens of the bigram model.
  demoId = done.models.find((m) => m.name.startsWith("Bigram"))!.id;
  const preset = await api.presets.save({ name: "Greedy 12", config: { temperature: 0, maxTokens: 12 } });
  const conv = await api.history.createConversation({ modelId: demoId, presetId: preset.id, title: "Workshop" });
  const answer = (await collect(api.chat.send({ conversationId: conv.id, content: "Tell me about the lathe." }))).at(-1);
  if (answer?.type !== "done") throw new Error("no answer");
  answer12 = answer.message;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(lathe.http.url);
  // The panel picks the first available model once the catalog arrives.
  await page.waitForFunction(() => !!(document.querySelector('[data-testid="sampling-model"]') as HTMLSelectElement | null)?.value);
});
afterAll(async () => {
  await browser?.close();
  api?.$close();
  await lathe?.close();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const finalBars = () => page.getByTestId("final-bar");
/** Polls long enough for the engine (model loads, generation on one CPU thread). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 60_000, interval: 100 });

/** Moves a range slider the way a person would (value + input event). */
async function slide(path: string, value: number): Promise<void> {
  await page.getByTestId(`slider-${path}`).evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = String(v);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

it("explains the demo model's next token; temperature 0 leaves one bar at 100%, top-k 3 three bars", async () => {
  await expect.poll(() => page.getByTestId("sampling-model").locator("option:checked").textContent()).toMatch(/^Bigram/);
  await page.getByTestId("explain-prompt").fill("the ");
  await page.getByTestId("explain-run").click();
  await poll(() => finalBars().count()).toBeGreaterThan(1);
  expect(await page.getByTestId("explain-summary").textContent()).toMatch(/llama\.cpp agrees within/);
  await shot("sampling-explainer");

  await slide("temperature", 0);
  await poll(() => finalBars().count()).toBe(1);
  expect(await finalBars().first().getAttribute("data-prob")).toBe("1");
  expect(await finalBars().first().getAttribute("data-token")).toBe("t");
  expect(await page.getByTestId("kept-count").textContent()).toBe("1");

  await slide("temperature", 1);
  await slide("topP", 1);
  await slide("minP", 0);
  await slide("topK", 3);
  await poll(() => finalBars().count()).toBe(3);
  expect(await finalBars().evaluateAll((els) => els.map((e) => e.getAttribute("data-token")))).toEqual(["t", "a", "s"]);
  await shot("sampling-explainer-topk3");
});

it("compares three presets at once; each column equals a single run with the same seed", async () => {
  await page.getByTestId("sampling-tab-compare").click();
  await page.getByTestId("compare-prompt").fill("The lathe ");
  await page.getByTestId("compare-seed").fill("11");
  await page.getByTestId("compare-max-tokens").fill("24");
  await page.getByTestId("compare-run").click();
  const columns = page.getByTestId("compare-column");
  await poll(() => columns.evaluateAll((els) => els.map((e) => e.getAttribute("data-done")))).toEqual(["true", "true", "true"]);
  await poll(() => page.getByTestId("compare-tokens").count()).toBe(3);
  expect(await page.getByTestId("compare-label").allTextContents()).toEqual(["Precise", "Balanced", "Creative"]);
  expect(await page.getByTestId("compare-seed-used").allTextContents()).toEqual(["11", "11", "11"]);
  const texts = await page.getByTestId("compare-output").allTextContents();
  for (const [i, presetId] of ["builtin-precise", "builtin-balanced", "builtin-creative"].entries()) {
    const single = await collect(api.sampling.compare({ modelId: demoId, prompt: { text: "The lathe ", chat: false }, columns: [{ presetId }], seed: 11, maxTokens: 24 }));
    const d = single.find((p) => p.type === "done");
    expect(d?.type === "done" && d.text).toBe(texts[i]);
  }
  // Shaded tokens carry the output's text.
  const shaded = await page.getByTestId("compare-tokens").first().getByTestId("token").allTextContents();
  expect(shaded.join("")).toBe(texts[0]);
  await shot("sampling-compare");
});

it("branches an answer at a token: clicking an alternative makes a sibling that starts with it", async () => {
  await page.getByTestId("sampling-tab-tokens").click();
  await poll(() => page.getByTestId("tokens-conversation").locator("option").count()).toBeGreaterThan(1);
  const value = await page.getByTestId("tokens-conversation").evaluate((el) => [...(el as HTMLSelectElement).options].find((o) => o.text === "Workshop")!.value);
  await page.getByTestId("tokens-conversation").selectOption(value);
  const tokens = page.getByTestId("token-view").getByTestId("token");
  await poll(() => tokens.count()).toBe(12);
  const pieces = await tokens.allTextContents();
  expect(pieces.join("")).toBe(answer12.content);

  // The fifth token's alternatives: pick the likeliest other letter.
  await tokens.nth(4).hover();
  const alternatives = page.getByTestId("alternatives").getByTestId("alternative");
  await poll(() => alternatives.count()).toBe(5);
  const options = await alternatives.evaluateAll((els) => els.map((e) => ({ piece: e.getAttribute("data-piece")!, disabled: (e as HTMLButtonElement).disabled })));
  const choice = options.findIndex((o) => !o.disabled && /^[a-z ]$/.test(o.piece));
  expect(choice).toBeGreaterThan(0);
  const piece = options[choice]!.piece;
  expect(piece).not.toBe(pieces[4]);
  await shot("sampling-token-alternatives");
  await alternatives.nth(choice).click();
  const prefix = pieces.slice(0, 4).join("") + piece;
  await poll(() => page.getByTestId("branched-text").textContent()).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.`));
  const branched = (await page.getByTestId("branched-text").textContent())!;
  await shot("sampling-branched");

  const path = await api.history.getPath({ conversationId: answer12.conversationId });
  const last = path.nodes.at(-1)!;
  expect(last.siblingIds).toEqual([answer12.id, last.message.id]);
  expect(last.message.content).toBe(branched);
  expect(last.message.content.startsWith(prefix)).toBe(true);
  // The token view now shows the branch itself.
  await poll(async () => (await tokens.allTextContents()).join("")).toBe(branched);
});

it("edits presets with every field explained and checked against its range", async () => {
  await page.getByTestId("sampling-tab-presets").click();
  await page.getByTestId("preset-select").selectOption("builtin-creative");
  expect(await page.getByTestId("reason").first().textContent()).toMatch(/flattens the distribution/);
  expect(await page.getByTestId("input-temperature").inputValue()).toBe("1.2");
  await page.getByTestId("input-temperature").fill("20");
  const field = page.locator('[data-testid="field"][data-path="temperature"]');
  expect(await field.getByTestId("field-error").textContent()).toMatch(/10/);
  expect(await page.getByTestId("preset-save-as").isDisabled()).toBe(true);
  await page.getByTestId("input-temperature").fill("1.3");
  await page.getByTestId("preset-name").fill("Hotter");
  await page.getByTestId("preset-save-as").click();
  await poll(async () => (await api.presets.list({})).find((p) => p.name === "Hotter")?.config.temperature).toBe(1.3);
  await shot("sampling-presets");
});

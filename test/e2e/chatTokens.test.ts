// The sampling lab inside Chat, end to end in Chromium against `lathe serve` and the real
// engine: a reply of the demo bigram model shows its tokens shaded by probability, hovering
// one lists its top-5 alternatives, and clicking one branches the conversation there (a
// sibling answer that starts with the chosen token, 2/2 in the branch switcher); the
// composer inserts a saved prompt-builder template's rendered prompt, and Evaluate runs a
// suite with that template zero-shot and few-shot and compares the runs. (The successor demo
// model is too sure of its rule: its runner-up tokens are tied stray UTF-8 bytes, which
// cannot start a text branch, so the bigram model, whose runners-up are letters, is used.)
// Screenshots go to test-results/screenshots/ (git-ignored).
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { ApiClient, LatheContract } from "../../core/api/index.ts";
import type { Message } from "../../core/history/types.ts";
import { buildPrompt } from "../../core/sampling/promptBuilder.ts";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium } from "../helpers/browser.ts";
import { collect, connectClient } from "../helpers/lathe.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-chat-tokens-"));
const shots = join("test-results", "screenshots");
let lathe: RunningLathe;
let api: ApiClient<LatheContract>;
let browser: Browser;
let page: Page;
let answer: Message;
const spec = {
  instruction: "Name the tool.",
  examples: [
    { input: "cuts wood on a lathe", output: "gouge" },
    { input: "measures a diameter", output: "caliper" },
  ],
  input: "holds the work",
};

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  lathe = await startLathe({ dataDir: data, threads: 1 });
  api = await connectClient(lathe);
  const done = (await collect(api.models.createDemo({}))).at(-1);
  if (done?.type !== "done") throw new Error("demo models were not created");
  const bigram = done.models.find((m) => m.name.startsWith("Bigram"))!;
  const preset = await api.presets.save({ name: "Greedy 12", config: { temperature: 0, maxTokens: 12 } });
  const conv = await api.history.createConversation({ modelId: bigram.id, presetId: preset.id, title: "Workshop" });
  const reply = (await collect(api.chat.send({ conversationId: conv.id, content: "Tell me about the lathe." }))).at(-1);
  if (reply?.type !== "done") throw new Error("no answer");
  answer = reply.message;
  await api.sampling.saveTemplate({ name: "Tools few-shot", spec });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(lathe.http.url);
});
afterAll(async () => {
  await browser?.close();
  api?.$close();
  await lathe?.close();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 60_000, interval: 100 });
const messages = () => page.getByTestId("message");

it("shows a chat reply's tokens; clicking an alternative branches the conversation at that token", async () => {
  await poll(() => page.getByTestId("conversation-item").filter({ hasText: "Workshop" }).count()).toBe(1);
  await page.getByTestId("conversation-item").filter({ hasText: "Workshop" }).click();
  await poll(() => messages().count()).toBe(2);
  const reply = messages().nth(1);
  await reply.getByTestId("tokens-toggle").click();
  expect(await reply.getByTestId("tokens-toggle").getAttribute("aria-pressed")).toBe("true");
  const tokens = reply.getByTestId("message-token-text").getByTestId("token");
  await poll(() => tokens.count()).toBe(12);
  const pieces = await tokens.allTextContents();
  expect(pieces.join("")).toBe(answer.content);
  // Greedy answers: every token was the model's top choice, shaded by its probability.
  const probs = await tokens.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-prob"))));
  expect(probs.every((p) => p > 0 && p <= 1)).toBe(true);

  // The fifth token's top-5 alternatives (the token itself first): pick the likeliest other letter.
  await tokens.nth(4).hover();
  const alternatives = reply.getByTestId("alternatives").getByTestId("alternative");
  await poll(() => alternatives.count()).toBe(5);
  const options = await alternatives.evaluateAll((els) => els.map((e) => ({ piece: e.getAttribute("data-piece")!, disabled: (e as HTMLButtonElement).disabled })));
  expect(options[0]).toEqual({ piece: pieces[4], disabled: true });
  const choice = options.findIndex((o) => !o.disabled && /^[a-z]$/.test(o.piece));
  expect(choice).toBeGreaterThan(0);
  const piece = options[choice]!.piece;
  expect(piece).not.toBe(pieces[4]);
  await shot("chat-token-alternatives");
  await alternatives.nth(choice).click();

  // A sibling answer: the four tokens before, the chosen one, then what the model goes on with.
  const prefix = pieces.slice(0, 4).join("") + piece;
  await poll(() => page.getByTestId("branch-position").textContent()).toBe("2/2");
  await poll(async () => (await messages().nth(1).getAttribute("data-status")) === "complete").toBe(true);
  expect(await messages().count()).toBe(2);
  const path = await api.history.getPath({ conversationId: answer.conversationId });
  const last = path.nodes.at(-1)!;
  expect(last.siblingIds).toEqual([answer.id, last.message.id]);
  expect(last.message.content.startsWith(prefix)).toBe(true);
  expect(last.message.content.length).toBeGreaterThan(prefix.length);
  expect(last.message.provenance?.modelMetadata.branchedFrom).toMatchObject({ messageId: answer.id, tokenIndex: 4 });
  expect(await messages().nth(1).getAttribute("data-id")).toBe(last.message.id);
  // The branch's own token view starts with the chosen token in fifth place.
  await messages().nth(1).getByTestId("tokens-toggle").click();
  const branchTokens = messages().nth(1).getByTestId("message-token-text").getByTestId("token");
  await poll(async () => (await branchTokens.allTextContents()).join("")).toBe(last.message.content);
  expect(await branchTokens.nth(4).textContent()).toBe(piece);
  await shot("chat-token-branched");

  // The switcher goes back to the first answer.
  await page.getByTestId("branch-prev").click();
  await poll(() => page.getByTestId("branch-position").textContent()).toBe("1/2");
  expect(await messages().nth(1).getAttribute("data-id")).toBe(answer.id);
});

it("inserts a saved prompt-builder template's rendered prompt from the composer", async () => {
  const box = page.getByTestId("composer-input");
  await box.fill("");
  await page.getByTestId("composer-templates").click();
  const items = page.getByTestId("composer-template");
  await poll(() => items.allTextContents()).toEqual(["Tools few-shot"]);
  await items.first().click();
  const built = buildPrompt(spec).text;
  expect(built).toBe("Name the tool.\n\nInput: cuts wood on a lathe\nOutput: gouge\n\nInput: measures a diameter\nOutput: caliper\n\nInput: holds the work\nOutput:");
  expect(await box.inputValue()).toBe(built);
  expect(await page.getByTestId("composer-template-menu").count()).toBe(0);
  // Typed text stays: a template goes after it, on a new paragraph.
  await box.fill("Please answer:");
  await page.getByTestId("composer-templates").click();
  await items.first().click();
  expect(await box.inputValue()).toBe(`Please answer:\n\n${built}`);
  await shot("chat-composer-template");
});

it("runs a suite in Evaluate with a saved template, zero-shot and few-shot, and compares the runs", async () => {
  await page.getByTestId("panel-tab-evaluate").click();
  const panel = page.getByTestId("panel-evaluate");
  await poll(() => panel.getByTestId("eval-suite").locator("option").count()).toBeGreaterThan(1);
  await panel.getByTestId("eval-suite").selectOption({ label: "Demo: next three characters (generation)" });
  await panel.getByTestId("eval-model").selectOption({ label: "Successor (demo: next letter)" });
  await panel.getByTestId("eval-prompt").selectOption({ label: "template: Tools few-shot" });
  await panel.getByLabel("First N items").fill("2");
  const rows = panel.getByTestId("eval-run-row");
  for (const [i, mode] of (["zero", "few"] as const).entries()) {
    await panel.getByTestId("eval-shots").selectOption(mode);
    await panel.getByTestId("eval-run").click();
    await poll(() => rows.count()).toBe(i + 1);
    await poll(() => panel.getByTestId("eval-run-status").first().textContent()).toBe("complete (2/2)");
  }
  const runs = (await api.evaluation.listRuns({})).filter((r) => r.config.label.startsWith("Tools few-shot"));
  expect(runs.map((r) => r.config.label).sort()).toEqual(["Tools few-shot (few-shot)", "Tools few-shot (zero-shot)"]);
  const detail = async (label: string) => api.evaluation.getRun({ id: runs.find((r) => r.config.label === label)!.id });
  const [zero, few] = await Promise.all([detail("Tools few-shot (zero-shot)"), detail("Tools few-shot (few-shot)")]);
  const input = zero.items[0]!.input;
  expect(zero.results[0]!.prompt).toBe(`Name the tool.\n\nInput: ${input}\nOutput:`);
  expect(few.results[0]!.prompt).toBe(buildPrompt({ ...spec, input }).text);

  // The two runs compare like any two runs of one dataset.
  await rows.nth(1).getByLabel("Run A").check();
  await rows.nth(0).getByLabel("Run B").check();
  await panel.getByTestId("eval-compare").click();
  await poll(() => panel.getByTestId("eval-delta-row").count()).toBeGreaterThan(0);
  expect(await panel.getByTestId("eval-delta-row").first().textContent()).toMatch(/^exact_match/);
  await shot("evaluate-template-shots");
});

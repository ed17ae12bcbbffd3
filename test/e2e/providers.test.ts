// Remote providers in the browser shell: a second `lathe serve` (API only) plays the remote
// server; in the first one's Settings the user adds it as a provider, the connection test
// shows its models and capabilities (key masked), and a chat with "provider / model" from
// the model picker answers with the successor rule, streamed from the remote engine.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium, chooseOption } from "../helpers/browser.ts";
import { collect, startTestLathe, successorText, type TestLathe } from "../helpers/lathe.ts";

const shots = join("test-results", "screenshots");
let remote: TestLathe;
let lathe: RunningLathe;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  remote = await startTestLathe();
  await collect(remote.api.models.createDemo({}));
  lathe = await startLathe({ dataDir: mkdtempSync(join(tmpdir(), "lathe-e2e-providers-")), threads: 1 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await lathe?.close();
  await remote?.close();
});

const choose = (testId: string, prefix: string) => chooseOption(page, testId, prefix);

it("adds a provider in Settings, tests it, and chats with a remote model", async () => {
  const token = remote.lathe.http.token;
  await page.goto(lathe.http.url);
  await page.getByTestId("panel-tab-settings").click();
  await page.getByTestId("provider-name").fill("gpu-box");
  await page.getByTestId("provider-url").fill(`${remote.lathe.http.origin}/v1`);
  await page.getByTestId("provider-key").fill(token);
  await page.getByTestId("provider-concurrency").fill("2");
  await page.getByTestId("provider-save").click();

  const row = page.getByTestId("provider-row");
  await expect.poll(() => row.getByTestId("provider-capabilities").count(), { timeout: 60_000 }).toBe(1);
  const capability = async (k: string) => {
    const tr = row.locator(`tr[data-capability="${k}"]`);
    return `${await tr.getAttribute("data-supported")}: ${await tr.innerText()}`;
  };
  expect(await capability("streaming")).toMatch(/^true: ✓\s+Streaming chat\s+\d+ text delta\(s\) streamed/);
  expect(await capability("logprobs")).toMatch(/^true: ✓\s+Token logprobs\s+logprobs returned for \d+ generated token/);
  expect(await capability("promptLogprobs")).toMatch(/^false: ✗\s+Prompt logprobs \(log-likelihood scoring\)\s+.*HTTP 400/);
  expect(await row.getByTestId("provider-models").innerText()).toMatch(/^2 model\(s\): Bigram workshop \(demo\), Successor \(demo: next letter\)/);
  const shown = await page.getByTestId("providers").innerText();
  expect(shown).toContain(`key ••••${token.slice(-4)} · concurrency 2`);
  expect(shown).not.toContain(token);
  await page.screenshot({ path: join(shots, "settings-providers.png") });

  await page.getByTestId("panel-tab-chat").click();
  await page.getByTestId("new-chat").click();
  await choose("model-picker", "gpu-box / Successor");
  await choose("preset-picker", "Greedy");
  const box = page.getByTestId("composer-input");
  await box.fill("abc");
  await box.press("Enter");
  const last = page.getByTestId("message").last();
  await expect
    .poll(async () => ((await page.getByTestId("message").count()) === 2 ? await last.getAttribute("data-status") : "waiting"), { timeout: 60_000 })
    .toBe("complete");
  expect((await last.getByTestId("message-content").innerText()).slice(0, 40)).toBe(successorText("\n", 40));
  expect(await page.getByTestId("status-model").innerText()).toBe("gpu-box / Successor (demo: next letter)");
  await page.screenshot({ path: join(shots, "chat-remote-provider.png") });
});

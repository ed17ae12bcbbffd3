// The GGUF inspector and memory fit end to end: `lathe serve` on a temp data folder with the
// demo models, Debian Chromium opens the Models panel, inspects the demo bigram model (read
// from its header, not loaded) and checks its architecture, exact parameter count, tensor
// table (filter and sort), chat template, then the memory-fit verdict, also shown beside Load.
// Screenshots go to test-results/screenshots/ (git-ignored).
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { llamaParamCount } from "../../core/fixtures/bench.ts";
import { DEMO_SHAPE } from "../../core/fixtures/demo.ts";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium } from "../helpers/browser.ts";
import { collect, connectClient } from "../helpers/lathe.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-inspect-"));
const shots = join("test-results", "screenshots");
let lathe: RunningLathe;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  lathe = await startLathe({ dataDir: data, threads: 1 });
  const api = await connectClient(lathe);
  const done = (await collect(api.models.createDemo({}))).at(-1);
  api.$close();
  if (done?.type !== "done") throw new Error("demo models were not created");
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
});
afterAll(async () => {
  await browser?.close();
  await lathe?.close();
});

it("inspects the demo model from its header and shows whether it fits", async () => {
  await page.goto(lathe.http.url);
  await page.getByTestId("panel-tab-models").click();
  const row = page.getByTestId("model-row").filter({ hasText: "Bigram workshop" });
  await expect.poll(() => row.count()).toBe(1);
  await row.getByTestId("model-inspect").click();

  const inspector = page.getByTestId("inspector");
  await expect.poll(() => inspector.getByTestId("inspect-arch").textContent().catch(() => null)).toBe("llama");
  expect(await inspector.getByTestId("inspect-params-exact").textContent()).toBe(llamaParamCount(DEMO_SHAPE).toLocaleString("en-US"));
  expect(await inspector.getByTestId("inspect-params-exact").textContent()).toBe("637,760");
  expect(await inspector.getByTestId("inspect-quant").textContent()).toBe("F16");
  expect(await inspector.getByTestId("inspect-ctx").textContent()).toBe("4,096");
  expect(await inspector.getByTestId("inspect-tokenizer").textContent()).toBe("gpt2 / qwen2");
  // Reading the header loaded nothing.
  expect(await row.getAttribute("data-loaded")).toBe("false");

  const rows = inspector.getByTestId("tensor-row");
  expect(await rows.count()).toBe(12);
  expect(await rows.first().locator("td").first().textContent()).toBe("token_embd.weight");
  await inspector.getByTestId("tensor-filter").fill("attn_");
  await expect.poll(() => rows.count()).toBe(5); // attn_norm, attn_q, attn_k, attn_v, attn_output
  await inspector.getByTestId("tensor-filter").fill("");
  await inspector.getByTestId("sort-bytes").click();
  // Biggest first: the two F32 [320, 259] matrices (331,520 bytes each).
  expect(await rows.first().locator("td").nth(2).textContent()).toBe("[320, 259]");

  await inspector.getByTestId("inspect-template").locator("summary").click();
  expect(await inspector.getByTestId("inspect-template").locator("pre").textContent()).toContain("<|im_start|>");

  await inspector.getByTestId("fit-context").fill("2048");
  await inspector.getByTestId("fit-check").click();
  const verdict = inspector.getByTestId("fit-verdict");
  await expect.poll(() => verdict.getAttribute("data-verdict").catch(() => null), { timeout: 90_000 }).toBe("fits");
  expect(await verdict.textContent()).toMatch(/2,048 tokens × 1/);
  expect(await inspector.getByTestId("fit-ram").textContent()).toMatch(/needed/);
  expect(await row.getByTestId("model-fit").textContent()).toBe("fits");
  await page.screenshot({ path: join(shots, "models-inspector.png"), fullPage: true });
});

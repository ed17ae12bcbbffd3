// Downloading a model through the UI: `lathe serve` on a temp data folder, Debian Chromium
// on the full app, and a local HTTP server (test/helpers/downloadServer.ts) serving a
// ~13 MB fixture GGUF. The server holds back all but the first 5 MiB chunk, so the progress
// bar with its byte counts is on screen; Cancel keeps the partial file, Resume completes the
// download from the kept chunk, the model shows in the catalog, and Delete (after the
// confirmation dialog) removes it and its file.
// Nothing touches the real network. Screenshots go to test-results/screenshots/.
import { afterAll, beforeAll, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { formatBytes } from "../../renderer/ui/format.ts";
import { launchChromium } from "../helpers/browser.ts";
import { bigModelBytes, startDownloadServer, type DownloadServer } from "../helpers/downloadServer.ts";

const data = mkdtempSync(join(tmpdir(), "lathe-e2e-models-"));
const shots = join("test-results", "screenshots");
const big = bigModelBytes();
let server: DownloadServer;
let lathe: RunningLathe;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startDownloadServer();
  lathe = await startLathe({ dataDir: data, threads: 1, hfEndpoint: server.hubOrigin });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await lathe?.close();
  await server?.close();
});

it("downloads a model from a URI with a visible progress bar, cancels and resumes it, adds it to the list, and deletes its file after confirmation", async () => {
  await page.goto(lathe.http.url);
  await page.getByTestId("panel-tab-models").click();
  await expect.poll(() => page.getByTestId("panel-models").isVisible()).toBe(true);
  server.files.set("workshop.gguf", { bytes: big, stallFrom: 1 });
  const uri = `${server.origin}/files/workshop.gguf`;
  await page.getByTestId("download-uri").fill(uri);
  await page.getByTestId("download-start").click();

  // The first chunk arrives, the rest is held back: the bar shows bytes of the total and a Cancel button.
  const job = page.getByTestId("download-job").filter({ hasText: uri });
  await expect.poll(() => job.getByTestId("download-progress").isVisible()).toBe(true);
  await expect.poll(() => job.getByTestId("download-stats").innerText(), { timeout: 60_000 }).toMatch(new RegExp(`^5\\.\\d MB of ${formatBytes(big.length)} · [\\d.]+ (B|kB|MB|GB)/s · \\d+ (s|min) left$`)); // the worker starts first: seconds on a busy machine
  // About 5 of 13 MB: the bar stands near 40%.
  const percent = Number(await job.getByRole("progressbar").getAttribute("aria-valuenow"));
  expect(percent).toBeGreaterThanOrEqual(38);
  expect(percent).toBeLessThanOrEqual(42);
  expect(await job.getByTestId("download-progress-cancel").isVisible()).toBe(true);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(shots, "models-download.png"), fullPage: true });

  // Cancel keeps the partial file and offers Resume; resuming (the server behaving now) finishes the download.
  // Cancel once ipull has recorded the complete first chunk after the data (that is what a resume reuses).
  const partial = join(data, "models", "workshop.gguf.ipull");
  await expect.poll(() => statSync(partial, { throwIfNoEntry: false })?.size ?? 0, { timeout: 30_000 }).toBeGreaterThan(big.length);
  await job.getByTestId("download-progress-cancel").click();
  const paused = page.getByTestId("download-paused").filter({ hasText: uri });
  await expect.poll(() => paused.isVisible()).toBe(true);
  expect(await paused.innerText()).toContain("the partial file is kept");
  expect(await page.getByTestId("download-job").count()).toBe(0);
  expect(existsSync(partial)).toBe(true);
  server.files.set("workshop.gguf", { bytes: big });
  server.release();
  server.requests.length = 0;
  await paused.getByTestId("download-resume").click();
  await expect.poll(() => page.getByTestId("download-done").innerText(), { timeout: 60_000 }).toBe("Lathe successor (next byte = byte + 1) added to the models.");
  expect(await page.getByTestId("download-job").count()).toBe(0);
  const row = page.getByTestId("model-row").filter({ hasText: "Lathe successor" });
  await expect.poll(() => row.count()).toBe(1);
  const path = join(data, "models", "workshop.gguf");
  expect(await row.innerText()).toContain(path);
  expect(existsSync(path)).toBe(true);

  // Suggestions list the curated starter models without downloading anything.
  await page.getByTestId("curated-toggle").click();
  expect(await page.getByTestId("curated-model").count()).toBeGreaterThanOrEqual(4);
  expect(await page.getByTestId("curated-list").innerText()).toMatch(/Qwen2\.5 0\.5B Instruct[\s\S]*hf:Qwen\/Qwen2\.5-0\.5B-Instruct-GGUF:Q4_K_M/);

  // Delete asks first; keeping it changes nothing, confirming deletes the file and the row.
  await row.getByTestId("model-delete").click();
  const dialog = page.getByTestId("delete-model-dialog");
  expect(await dialog.innerText()).toContain(path);
  await dialog.getByTestId("delete-cancel").click();
  expect(existsSync(path)).toBe(true);
  await row.getByTestId("model-delete").click();
  await page.getByTestId("delete-confirm").click();
  await expect.poll(() => row.count()).toBe(0);
  expect(existsSync(path)).toBe(false);
  // The resumed download asked only for the chunks it lacked, and the server saw only the file (and a reachability check).
  const ranged = server.requests.filter((r) => r.method === "GET" && r.rangeStart !== null).map((r) => r.rangeStart!);
  expect(Math.min(...ranged)).toBe(5 * 1024 * 1024);
  expect(new Set(server.requests.map((r) => r.path))).toEqual(new Set(["/", "/files/workshop.gguf"]));
});

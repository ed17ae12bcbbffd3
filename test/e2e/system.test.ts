// The browser shell end to end: `lathe serve` on a temp data folder, Debian Chromium
// opens the printed URL, and the renderer shows the system info from the real API.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startLathe, type RunningLathe } from "../../server/app.ts";
import { launchChromium } from "../helpers/browser.ts";

let lathe: RunningLathe;
let browser: Browser;
const data = mkdtempSync(join(tmpdir(), "lathe-e2e-"));

beforeAll(async () => {
  lathe = await startLathe({ dataDir: data });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await lathe?.close();
});

it("shows the system info from the real API, and refuses a page without the token", async () => {
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(lathe.http.url);
  const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
  await expect.poll(() => page.getByTestId("app-version").textContent()).toBe(version);
  expect(await page.getByTestId("nlc-version").textContent()).toBe("3.21.1");
  expect(await page.getByTestId("data-home").textContent()).toBe(data);
  // The token left the address bar but the page stays connected after a reload.
  expect(page.url()).not.toContain("token=");
  await page.reload();
  await expect.poll(() => page.getByTestId("app-version").textContent()).toBe(version);
  // Offline and private: every request went to this origin.
  expect(requests.filter((u) => !u.startsWith(lathe.http.origin))).toEqual([]);

  const stranger = await browser.newPage();
  await stranger.goto(lathe.http.origin);
  await expect.poll(() => stranger.getByRole("alert").textContent()).toMatch(/No API token/);
});

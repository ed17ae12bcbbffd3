// Launches Debian's Chromium through playwright-core for e2e tests and benchmarks, with
// the flags this offline machine needs (no background networking, no sandbox as root).
import { chromium, type Browser, type Page } from "playwright-core";
import { existsSync } from "node:fs";

export const chromiumPath = process.env.LATHE_CHROMIUM ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install it (apt-get install -y chromium) or set LATHE_CHROMIUM.`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      "--disable-dev-shm-usage",
    ],
  });
}

/** Selects the option of the <select> with `testId` whose text (trimmed) starts with `prefix`; throws naming both when none does. */
export async function chooseOption(page: Page, testId: string, prefix: string): Promise<void> {
  const select = page.getByTestId(testId);
  const value = await select.evaluate((el, p) => [...(el as HTMLSelectElement).options].find((o) => o.text.trim().startsWith(p))?.value ?? null, prefix);
  if (value === null) throw new Error(`No option starting with "${prefix}" in ${testId}`);
  await select.selectOption(value);
}

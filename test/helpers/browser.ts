// Launches Debian's Chromium through playwright-core for e2e tests and benchmarks, with
// the flags this offline machine needs (no background networking, no sandbox as root).
import { chromium, type Browser } from "playwright-core";
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

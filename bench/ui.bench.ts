// `npm run bench ui`: the renderer in Chromium against a real `lathe serve`.
// 1. Streaming: while the successor model streams a long answer, the main thread's long
//    tasks (PerformanceObserver "longtask", > 50 ms) are recorded; goal: none.
// 2. Cold start: a fresh browser context opening the app until the chat is interactive
//    (conversation list shown, composer enabled); median of runs.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { startLathe } from "../server/app.ts";
import { connectClient, collect } from "../test/helpers/lathe.ts";
import { launchChromium } from "../test/helpers/browser.ts";
import { median, round, type BenchReport } from "./lib.ts";

export default async function uiBench(): Promise<BenchReport> {
  await build({ configFile: new URL("../vite.renderer.config.ts", import.meta.url).pathname, logLevel: "warn" });
  const lathe = await startLathe({ dataDir: mkdtempSync(join(tmpdir(), "lathe-bench-ui-")), threads: 1 });
  const api = await connectClient(lathe);
  const browser = await launchChromium();
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  try {
    await collect(api.models.createDemo({}));
    const successor = (await api.models.list({})).models.find((m) => m.name.startsWith("Successor"))!;
    const preset = await api.presets.save({ name: "Bench stream", config: { temperature: 0, maxTokens: 3000 } });
    const conv = await api.history.createConversation({ title: "bench", modelId: successor.id, presetId: preset.id });
    await collect(api.models.load({ id: successor.id }));

    // 1. Long tasks while streaming.
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push(e.duration);
      }).observe({ type: "longtask", buffered: true });
    });
    await page.goto(lathe.http.url);
    await page.getByTestId("conversation-item").filter({ hasText: "bench" }).click();
    await page.waitForTimeout(500);
    await page.evaluate(() => ((window as unknown as { __longTasks: number[] }).__longTasks.length = 0));
    await page.getByTestId("composer-input").fill("go");
    await page.getByTestId("composer-input").press("Enter");
    await page.waitForFunction(
      () => {
        const m = [...document.querySelectorAll('[data-testid="message"]')].pop();
        return m?.getAttribute("data-role") === "assistant" && m.getAttribute("data-status") === "complete";
      },
      undefined,
      { timeout: 300_000 },
    );
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    const path = await api.history.getPath({ conversationId: conv.id });
    const prov = path.nodes.at(-1)!.message.provenance!;
    rows.push({
      case: "stream 3000 tokens",
      "tokens/s": round(prov.tokensPerSecond ?? 0, 3),
      "long tasks (>50 ms)": longTasks.length,
      "longest task ms": round(Math.max(0, ...longTasks), 3),
    });
    notes.push(
      `streaming at ${round(prov.tokensPerSecond ?? 0, 3)} tok/s: ${longTasks.length} main-thread tasks over 50 ms (goal: 0)`,
    );

    // 2. Cold start to an interactive chat.
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const p = await ctx.newPage();
      const t0 = Date.now();
      await p.goto(lathe.http.url);
      await p.getByTestId("conversation-item").first().waitFor();
      await p.getByTestId("composer-input").waitFor();
      starts.push(Date.now() - t0);
      await ctx.close();
    }
    rows.push({ case: "cold start to interactive chat", "median ms": median(starts), runs: starts.length });
    notes.push(`browser-mode cold start: median ${median(starts)} ms over ${starts.length} runs`);
  } finally {
    await browser.close();
    api.$close();
    await lathe.close();
  }
  return { name: "ui", rows, notes };
}

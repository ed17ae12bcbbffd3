// Builds a page that mounts one renderer panel on its own, connected to the real API the
// way the app is (renderer/api/connect.ts), for e2e tests that exercise a panel in
// isolation; `startLathe({ staticDir })` serves it. The full app frame is tested by chat.test.ts.
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { repoRoot } from "../../server/app.ts";

/**
 * @param component Repo-relative path of a panel component taking `{ api }`.
 * @returns The folder with the built page.
 */
export async function buildPanelPage(component: string, title: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "lathe-panel-page-"));
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(
    join(dir, "index.html"),
    `<!doctype html><html lang="en"><head><meta charset="UTF-8" /><title>${title}</title></head><body><div id="app"></div><script type="module" src="./main.ts"></script></body></html>`,
  );
  const from = (p: string) => JSON.stringify(join(repoRoot, p));
  writeFileSync(
    join(dir, "main.ts"),
    [
      'import { mount } from "svelte";',
      `import Panel from ${from(component)};`,
      `import { connectApi } from ${from("renderer/api/connect.ts")};`,
      `import ${from("renderer/ui/theme.css")};`,
      "const api = await connectApi();",
      'mount(Panel, { target: document.getElementById("app"), props: { api } });',
    ].join("\n"),
  );
  const out = join(dir, "out");
  await build({
    root: dir,
    configFile: false,
    logLevel: "warn",
    base: "./",
    plugins: [svelte()],
    build: { outDir: out, target: "es2022", emptyOutDir: true },
  });
  return out;
}

// `npm start`: builds the renderer and the desktop shell, then opens the desktop app.
// Where the Electron binary is missing (it is downloaded at install time, which some
// machines cannot do), says so in one line and starts the browser mode instead.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { build } from "vite";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

function electronBinary(): { path: string } | { why: string } {
  try {
    const path = require("electron") as unknown;
    if (typeof path === "string" && existsSync(path)) return { path };
    return { why: "the electron package has no binary" };
  } catch (err) {
    return { why: (err as Error).message.split("\n")[0] ?? "electron is not installed" };
  }
}

await build({ configFile: `${root}vite.renderer.config.ts`, logLevel: "warn" });
const electron = electronBinary();
if ("path" in electron) {
  const { build: buildElectron } = await import("electron-vite");
  await buildElectron({ configFile: `${root}electron.vite.config.ts`, logLevel: "warn" });
  const child = spawn(electron.path, [root], { stdio: "inherit" });
  child.on("exit", (code) => process.exit(code ?? 0));
} else {
  console.log(`Electron's binary is not available (${electron.why}); starting the browser mode instead.`);
  const child = spawn(process.execPath, ["--import", "tsx", `${root}server/cli.ts`, "serve", ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  child.on("exit", (code) => process.exit(code ?? 0));
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
}

// The `lathe` command line. `lathe serve` starts the browser mode: the API on a
// loopback WebSocket and the renderer on the same origin, and prints the URL to open.
// `lathe eval` runs an evaluation suite from a shell (server/evalCli.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, startLathe } from "./app.ts";
import { evalMain } from "./evalCli.ts";

const usage = `Usage: lathe serve [--port N] [--host H] [--data DIR] [--allow-remote]
       lathe eval --help     (run an evaluation suite from the shell)

  --port N         port to listen on (default: any free port)
  --host H         interface (default 127.0.0.1; others need --allow-remote)
  --data DIR       data folder (default: LATHE_HOME or the OS app-data folder)
  --allow-remote   allow a non-loopback --host; the token is still required`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "eval") return evalMain(rest);
  if (command !== "serve") {
    console.error(command && command !== "--help" ? `Unknown command "${command}".\n${usage}` : usage);
    return command === "--help" ? 0 : 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        data: { type: "string" },
        "allow-remote": { type: "boolean" },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, not "${values.port}"`);
    return 2;
  }
  const staticDir = join(repoRoot, "out", "renderer");
  const lathe = await startLathe({
    port,
    ...(values.host ? { host: values.host } : {}),
    ...(values.data ? { dataDir: values.data } : {}),
    allowRemote: values["allow-remote"] ?? false,
    staticDir: existsSync(join(staticDir, "index.html")) ? staticDir : null,
  });
  console.log(`Lathe is serving on ${lathe.http.url}`);
  console.log(`Data folder: ${lathe.info().paths.home}`);
  const stop = () => {
    void lathe.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return -1; // keep running
}

if (process.argv[1] && /cli\.(ts|js|mjs)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}

// The browser shell's network side: one HTTP server on loopback that serves the built
// renderer and upgrades /api to a WebSocket carrying the typed API. Every request must
// name this server in its Host header (DNS-rebinding guard); the WebSocket also needs
// the per-launch token and, when a browser sends one, an Origin of this server.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { webSocketChannel, type Channel } from "../core/api/index.ts";

/** Options for startHttpServer. */
export interface HttpServerOptions {
  /** Interface to listen on. Default "127.0.0.1". */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Folder with the built renderer (index.html); null serves a notice page instead. */
  staticDir: string | null;
  /** The API token; a random one is made when absent. */
  token?: string;
  /** Allow listening on a non-loopback interface. Default false. */
  allowRemote?: boolean;
  /** Largest WebSocket message accepted, in bytes. Default 16 MiB. */
  maxMessageBytes?: number;
  /** Called for every authenticated API connection. */
  onConnection(channel: Channel): void;
  /**
   * Other HTTP routes (the OpenAI-compatible /v1 API). Called after the Host check with
   * the token for Bearer checks; resolves true when it answered the request.
   */
  onRequest?(req: IncomingMessage, res: ServerResponse, auth: { token: string; originOk: boolean }): Promise<boolean>;
}

export interface RunningHttpServer {
  /** `http://host:port` */
  origin: string;
  /** The URL to open: origin plus the token in the fragment (never sent to the server in requests). */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const loopbackHosts = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
export const isLoopbackHost = (host: string) => loopbackHosts.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

const mime: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".ico": "image/x-icon",
};

/** The CSP for the renderer: nothing from outside this origin, ever. */
export const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHost(host) && !options.allowRemote) {
    throw new Error(
      `Refusing to listen on ${host}: it is not a loopback address. Pass --allow-remote to expose Lathe on your network (the token is still required).`,
    );
  }
  const token = options.token ?? randomBytes(24).toString("base64url");
  const staticRoot = options.staticDir ? resolve(options.staticDir) : null;
  let port = options.port ?? 0;
  const allowedHosts = () => {
    const names = isLoopbackHost(host) ? ["127.0.0.1", "localhost", "[::1]"] : [host.includes(":") ? `[${host}]` : host];
    return new Set(names.map((n) => `${n}:${port}`));
  };
  let hostSet = new Set<string>();
  const hostOk = (req: IncomingMessage) => !!req.headers.host && hostSet.has(req.headers.host.toLowerCase());
  const originOk = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return origin === undefined || (origin.startsWith("http://") && hostSet.has(origin.slice(7).toLowerCase()));
  };

  async function serveStatic(req: IncomingMessage, res: ServerResponse) {
    const headers = {
      "Content-Security-Policy": contentSecurityPolicy,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-store",
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, headers).end("Method not allowed");
      return;
    }
    if (!staticRoot) {
      res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
      res.end("Lathe is running, but the renderer is not built. Run `npm run build:renderer`.\n");
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(staticRoot, path));
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
      res.writeHead(403, headers).end("Forbidden");
      return;
    }
    const info = await stat(file).catch(() => null);
    if (!info || info.isDirectory()) file = join(staticRoot, "index.html"); // SPA fallback
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, "Content-Type": mime[extname(file)] ?? "application/octet-stream" });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, headers).end("Not found");
    }
  }

  const server = createServer((req, res) => {
    if (!hostOk(req)) {
      res.writeHead(421, { "Content-Type": "text/plain" }).end("Misdirected request: unknown Host");
      return;
    }
    const handled = options.onRequest ? options.onRequest(req, res, { token, originOk: originOk(req) }) : Promise.resolve(false);
    handled
      .then((done) => (done ? undefined : serveStatic(req, res)))
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(String(err));
      });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 16 * 1024 * 1024 });
  const reject = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${text}\n`);
  };
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/api") return reject(socket, 404, "Not Found");
    if (!hostOk(req)) return reject(socket, 421, "Misdirected Request");
    if (!originOk(req)) return reject(socket, 403, "Forbidden");
    if (!sameToken(url.searchParams.get("token") ?? "", token)) return reject(socket, 401, "Unauthorized");
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      options.onConnection(webSocketChannel(ws));
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const addr = server.address();
  port = typeof addr === "object" && addr ? addr.port : port;
  hostSet = allowedHosts();
  const shownHost = host === "::1" ? "[::1]" : host;
  const origin = `http://${shownHost}:${port}`;
  return {
    origin,
    url: `${origin}/#token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((ok) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

// Connects the renderer to the typed API: through the Electron preload bridge when it
// exists, else over the browser shell's WebSocket with the token from the URL fragment
// (kept in sessionStorage so a reload stays connected, removed from the address bar).
import {
  bridgeChannel,
  contract,
  createApiClient,
  webSocketChannel,
  type ApiClient,
  type LatheBridge,
  type LatheContract,
  type WebSocketLike,
} from "../../core/api/index.ts";

export type Api = ApiClient<LatheContract>;

const tokenKey = "lathe.token";

function takeToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(tokenKey, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(tokenKey);
}

export async function connectApi(): Promise<Api> {
  const bridge = (window as unknown as { lathe?: LatheBridge }).lathe;
  if (bridge) return createApiClient(contract, bridgeChannel(bridge));
  const token = takeToken();
  if (!token) {
    throw new Error("No API token. Open the URL that `lathe serve` printed (it ends with #token=…).");
  }
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api?token=${encodeURIComponent(token)}`);
  await new Promise<void>((ok, fail) => {
    ws.addEventListener("open", () => ok(), { once: true });
    ws.addEventListener("error", () => fail(new Error("Could not connect to Lathe (wrong or expired token?). Open the URL that `lathe serve` printed.")), { once: true });
  });
  return createApiClient(contract, webSocketChannel(ws as unknown as WebSocketLike));
}

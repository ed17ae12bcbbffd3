// The remote backend the shells hand to core (core/services/providers.ts RemoteBackend):
// one RemoteEngine per provider and the connection test. Imported by server/app.ts and
// electron/services.ts.
import type { RemoteBackend } from "../../core/services/providers.ts";
import { testProvider } from "./probe.ts";
import { RemoteEngine } from "./RemoteEngine.ts";

export { RemoteEngine } from "./RemoteEngine.ts";
export { testProvider } from "./probe.ts";

/** HTTP access to OpenAI-compatible providers with the global fetch. */
export const remoteBackend: RemoteBackend = {
  engine: (provider) => new RemoteEngine(provider),
  test: (provider, options) => testProvider(provider, options),
};

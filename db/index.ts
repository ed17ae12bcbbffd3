// Public face of db/: open the store, and the query functions for callers that hold the
// raw handle (benchmarks, maintenance scripts). Shells use openStore and the ports.
export {
  openStore,
  openDatabase,
  resolveStorePath,
  type OpenStoreOptions,
  type OpenReport,
} from "./openStore.ts";
export { SqliteStore } from "./SqliteStore.ts";
export { migrate, schemaVersion, latestVersion, type MigrateOptions, type MigrateResult } from "./migrate.ts";
export { migrations, type Migration } from "./migrations/index.ts";
export { StreamingWriter, DEFAULT_STREAM_THROTTLE_MS } from "./StreamingWriter.ts";
export { toFtsQuery } from "./search.ts";
export type { Db } from "./sql.ts";

// The ordered list of schema migrations the runner (db/migrate.ts) applies. Add new
// files here in steps of 10; never edit or reorder a released entry (docs/db.md).
import type { Db } from "../sql.ts";
import initial from "./0010-initial.ts";
import messageSearch from "./0020-message-search.ts";
import critique from "./0030-critique.ts";
import evaluation from "./0040-evaluation.ts";
import forgetting from "./0060-forgetting.ts";
import providers from "./0050-providers.ts";

/** One schema step: run inside the runner's transaction, with foreign keys off. */
export interface Migration {
  /** Schema version after this step (multiple of 10). */
  version: number;
  /** Short name, as in the file name. */
  name: string;
  /** Applies the step to a writable handle. */
  up: (db: Db) => void;
}

export const migrations: readonly Migration[] = [
  { version: 10, name: "initial", up: initial },
  { version: 20, name: "message-search", up: messageSearch },
  { version: 30, name: "critique", up: critique },
  { version: 40, name: "evaluation", up: evaluation },
  { version: 50, name: "providers", up: providers },
  { version: 60, name: "forgetting", up: forgetting },
];

// The `presets` domain: saved sampling configurations (builtin and the user's).
import { z } from "zod";
import { unary } from "./rpc.ts";
import type { Preset } from "../history/types.ts";
import { samplingConfigSchema } from "../sampling/config.ts";

export const presetsApi = {
  /** Builtin presets first, then the user's, by name. */
  list: unary(z.object({})).returns<Preset[]>(),
  /** Creates or updates a user preset; the config is validated field by field. */
  save: unary(
    z.object({
      id: z.string().min(1).max(200).optional(),
      name: z.string().min(1).max(100),
      config: samplingConfigSchema,
    }),
  ).returns<Preset>(),
  /** Deletes a user preset (builtin ones cannot be deleted). */
  delete: unary(z.object({ id: z.string().min(1).max(200) })).returns<{ deleted: boolean }>(),
};

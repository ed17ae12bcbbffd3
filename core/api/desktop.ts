// The `desktop` domain: what only the desktop shell can do for the renderer, such as the
// native file dialog. `lathe serve` does not serve it, so the renderer offers these
// actions only when `system.info().domains` includes "desktop".
import { z } from "zod";
import { unary } from "./rpc.ts";

/** What kind of file a dialog picks; sets its title and filters. */
export const fileKindSchema = z.enum(["model", "adapter", "dataset"]);
export type FileKind = z.infer<typeof fileKindSchema>;

export const desktopApi = {
  /** Opens the native "open file" dialog; `path` is null when the user cancels. */
  openFile: unary(z.object({ kind: fileKindSchema }).strict()).returns<{ path: string | null }>(),
};

// The `presets` store: saved sampling configurations (builtin first), for the preset
// picker of a conversation. The Sampling panel (a later issue) will edit them here too.
import type { Preset } from "../core/history/types.ts";
import type { Api } from "./api/connect.ts";
import { errorText } from "./ui/errors.ts";

export class PresetsStore {
  /** Presets, builtin first, then the user's by name. */
  presets = $state.raw<Preset[]>([]);
  /** Why the last call failed, for people; null when it worked. */
  error = $state<string | null>(null);

  constructor(private readonly api: Api) {}

  /** A preset by id. */
  byId(id: string | null | undefined): Preset | undefined {
    return id ? this.presets.find((p) => p.id === id) : undefined;
  }

  /** Fetches the presets. */
  async refresh(): Promise<void> {
    try {
      this.presets = await this.api.presets.list({});
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

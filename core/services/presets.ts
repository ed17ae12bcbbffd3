// Handlers for the `presets` domain, and the start-up step that writes the builtin
// presets into the store (so conversations and exports can refer to them by id).
import { ApiError } from "../api/errors.ts";
import type { DomainHandlers } from "../api/rpc.ts";
import type { presetsApi } from "../api/presets.ts";
import type { PresetStore } from "../history/ports.ts";
import { resolveSamplingConfig } from "../sampling/config.ts";
import { builtinPresets } from "../sampling/presets.ts";

/** Writes (or refreshes) every builtin preset. */
export async function installBuiltinPresets(presets: PresetStore): Promise<void> {
  for (const p of builtinPresets) {
    const existing = await presets.getPreset(p.id);
    const config = resolveSamplingConfig(p.config) as unknown as Record<string, unknown>;
    if (!existing || JSON.stringify(existing.config) !== JSON.stringify(config) || existing.name !== p.name) {
      await presets.savePreset({ id: p.id, name: p.name, config, builtin: true });
    }
  }
}

export function presetsHandlers(presets: PresetStore): DomainHandlers<typeof presetsApi> {
  return {
    list: () => presets.listPresets(),
    async save(input) {
      if (input.id) {
        const existing = await presets.getPreset(input.id);
        if (existing?.builtin) throw new ApiError("conflict", `"${existing.name}" is a builtin preset; duplicate it to change it.`);
      }
      return presets.savePreset({
        ...(input.id ? { id: input.id } : {}),
        name: input.name,
        config: input.config as unknown as Record<string, unknown>,
      });
    },
    delete: async (input) => ({ deleted: await presets.deletePreset(input.id) }),
  };
}

// The preset exchange format: a JSON file holding named sampling configs, written by
// "export" and read back by "import" with every config validated field by field and
// every fault named by preset and field. Used by the sampling service (presets import /
// export) and the Sampling panel.
import { z } from "zod";
import { samplingConfigSchema, type SamplingConfig } from "./config.ts";

/** Format marker and version of an exported preset file. */
export const PRESET_FILE_FORMAT = "lathe-presets";
export const PRESET_FILE_VERSION = 1;

/** One preset in a file. */
export interface PresetFileEntry {
  name: string;
  /** The complete config (every default filled in, so the file means the same in later versions). */
  config: SamplingConfig;
}

/** An exported file. */
export interface PresetFile {
  format: typeof PRESET_FILE_FORMAT;
  version: number;
  /** Export time (ms since epoch). */
  exportedAt: number;
  presets: PresetFileEntry[];
}

const fileSchema = z.object({
  format: z.literal(PRESET_FILE_FORMAT),
  version: z.number().int().min(1).max(PRESET_FILE_VERSION),
  presets: z.array(z.object({ name: z.string().trim().min(1).max(100), config: z.unknown() })).max(1000),
});

/** Serialises presets as a file (pretty JSON). */
export function exportPresetFile(presets: readonly { name: string; config: unknown }[], now = Date.now()): string {
  const file: PresetFile = {
    format: PRESET_FILE_FORMAT,
    version: PRESET_FILE_VERSION,
    exportedAt: now,
    presets: presets.map((p) => ({ name: p.name, config: samplingConfigSchema.parse(p.config) })),
  };
  return JSON.stringify(file, null, 2);
}

/** Parses a file; throws an Error naming the preset (index and name) and field at fault. */
export function parsePresetFile(text: string): PresetFileEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`Not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const head = fileSchema.safeParse(json);
  if (!head.success) {
    const i = head.error.issues[0]!;
    throw new Error(`Not a Lathe preset file: ${i.path.map(String).join(".") || "(file)"}: ${i.message}`);
  }
  const seen = new Set<string>();
  return head.data.presets.map((p, index) => {
    if (seen.has(p.name)) throw new Error(`preset ${index + 1} ("${p.name}"): the name appears twice in the file`);
    seen.add(p.name);
    const r = samplingConfigSchema.safeParse(p.config);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new Error(`preset ${index + 1} ("${p.name}"): ${i.path.map(String).join(".") || "config"}: ${i.message}`);
    }
    return { name: p.name, config: r.data };
  });
}

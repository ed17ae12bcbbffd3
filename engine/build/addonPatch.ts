// Lathe's native entry points (engine/native/LatheExtensions.cpp) go into the local build:
// before "Build the engine for this machine" compiles node-llama-cpp's addon, this copies
// the file into the addon folder (its CMakeLists globs addon/*.cpp) and registers it in
// addon.cpp's module init with two marked lines. Idempotent; a node-llama-cpp whose
// addon.cpp lacks the anchors is left alone and the build runs without the extensions
// (the host then falls back, see engine/host/nativeLogits.ts).
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The marker on every line the patch adds to addon.cpp. */
export const addonPatchMarker = "// lathe-extensions";
/** File name of the extensions inside node-llama-cpp's addon folder. */
export const extensionsFileName = "LatheExtensions.cpp";

const registerAnchor = "Napi::Object registerCallback(Napi::Env env, Napi::Object exports) {";
const returnAnchor = "    return exports;\n}";

/** engine/native/LatheExtensions.cpp beside this module's folder. */
export function extensionsSourcePath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "native", extensionsFileName);
}

/** What patchAddonSources did. */
export interface AddonPatchResult {
  /** True when the addon sources now include the extensions. */
  patched: boolean;
  /** For the build log. */
  message: string;
}

/** addon.cpp's text with the registration added (unchanged if already there); null when an anchor is missing. */
export function patchAddonCpp(text: string): string | null {
  if (text.includes(addonPatchMarker)) return text;
  const reg = text.indexOf(registerAnchor);
  if (reg < 0) return null;
  const ret = text.indexOf(returnAnchor, reg);
  if (ret < 0) return null;
  return (
    text.slice(0, reg) +
    `void latheRegister(Napi::Env env, Napi::Object exports); ${addonPatchMarker}\n` +
    text.slice(reg, ret) +
    `    latheRegister(env, exports); ${addonPatchMarker}\n` +
    text.slice(ret)
  );
}

/** Adds the extensions to node-llama-cpp's addon sources in `packageDir` (its llama/addon folder). */
export function patchAddonSources(packageDir: string, source = extensionsSourcePath()): AddonPatchResult {
  const addonDir = join(packageDir, "llama", "addon");
  const addonCpp = join(addonDir, "addon.cpp");
  if (!existsSync(addonCpp)) return { patched: false, message: `Lathe extensions skipped: ${addonCpp} is missing` };
  if (!existsSync(source)) return { patched: false, message: `Lathe extensions skipped: ${source} is missing` };
  const text = readFileSync(addonCpp, "utf8");
  const next = patchAddonCpp(text);
  if (next === null) return { patched: false, message: `Lathe extensions skipped: this node-llama-cpp's addon.cpp has no module init where they can be registered` };
  copyFileSync(source, join(addonDir, extensionsFileName));
  if (next !== text) writeFileSync(addonCpp, next);
  return { patched: true, message: next !== text ? "Lathe extensions added to the addon sources" : "Lathe extensions already in the addon sources" };
}

// Finds where a value sits in JSON text, so an import fault can name its line and field
// ("line 42, conversations[0].messages[3].role"). JSON.parse keeps no positions and a
// history file can be tens of MB, so this walks the text along one path on demand,
// skipping everything else. Called by db/exportImport.ts when an import is rejected.
import { StoreError, type ImportErrorLocation } from "./errors.ts";

/** A path into a JSON document: object keys and array indexes. */
export type JsonPath = readonly PropertyKey[];

/** `conversations[0].messages[3].role` for ["conversations", 0, "messages", 3, "role"]. */
export function formatJsonPath(path: JsonPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

function skipWs(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index just past the string starting at i (which is a `"`). */
function skipString(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === "\\") j += 2;
    else if (c === '"') return j + 1;
    else j++;
  }
  return text.length;
}

/** Index just past the value starting at i. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text[j];
      if (d === '"') {
        j = skipString(text, j);
        continue;
      }
      if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !",}] \t\r\n".includes(text[j]!)) j++;
  return j;
}

/** Offset of the value at path, or null when the path is not in the text. */
function offsetOf(text: string, path: JsonPath): number | null {
  let i = skipWs(text, 0);
  for (const seg of path) {
    const open = text[i];
    if (open === "{" && typeof seg === "string") {
      i = skipWs(text, i + 1);
      let found = false;
      while (i < text.length && text[i] === '"') {
        const keyEnd = skipString(text, i);
        let key: unknown;
        try {
          key = JSON.parse(text.slice(i, keyEnd));
        } catch {
          return null;
        }
        i = skipWs(text, keyEnd);
        if (text[i] !== ":") return null;
        i = skipWs(text, i + 1);
        if (key === seg) {
          found = true;
          break;
        }
        i = skipWs(text, skipValue(text, i));
        if (text[i] === ",") i = skipWs(text, i + 1);
      }
      if (!found) return null;
    } else if (open === "[" && typeof seg === "number") {
      i = skipWs(text, i + 1);
      let n = 0;
      while (i < text.length && text[i] !== "]" && n < seg) {
        i = skipWs(text, skipValue(text, i));
        if (text[i] === ",") i = skipWs(text, i + 1);
        n++;
      }
      if (n !== seg || i >= text.length || text[i] === "]") return null;
    } else {
      return null;
    }
  }
  return i;
}

/**
 * Line and column of the value at path; when the path is absent (a missing field) the
 * nearest enclosing value that exists. Null only when nothing along the path is found.
 */
export function locateJsonPath(text: string, path: JsonPath): { line: number; column: number } | null {
  for (let n = path.length; n >= 0; n--) {
    const offset = offsetOf(text, path.slice(0, n));
    if (offset !== null) return lineColumnAt(text, offset);
  }
  return null;
}

/**
 * Offset of the first JSON syntax error in text, or null when it is valid JSON. JSON.parse
 * says where only on some engines ("at position 45"), so the position is found here.
 */
export function jsonSyntaxErrorOffset(text: string): number | null {
  const n = text.length;
  let i = 0;
  const ws = () => {
    i = skipWs(text, i);
  };
  const string = (): boolean => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else if (c < 0x20) return false;
      else i++;
    }
    return false;
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): boolean => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        if (c === "{") {
          ws();
          if (text[i] !== '"' || !string()) return false;
          ws();
          if (text[i] !== ":") return false;
          i++;
        }
        if (!value()) return false;
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return true;
        }
        return false;
      }
    }
    if (c === '"') return string();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return true;
      }
    }
    number.lastIndex = i;
    const m = number.exec(text);
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  try {
    if (!value()) return Math.min(i, n);
  } catch {
    return null; // nesting too deep to walk; the caller falls back to the engine's message
  }
  ws();
  return i < n ? i : null;
}

/** Line and column of a JSON.parse SyntaxError in text. */
export function syntaxErrorLocation(text: string, err: unknown): { line: number; column: number } | null {
  const offset = jsonSyntaxErrorOffset(text);
  if (offset !== null) return lineColumnAt(text, offset);
  const message = err instanceof Error ? err.message : String(err);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /position (\d+)/.exec(message);
  return pos ? lineColumnAt(text, Number(pos[1])) : null;
}

/**
 * The StoreError for an import fault at path: "Import rejected at line 12, column 9
 * (conversations[0].messages[1].role): <problem>. Nothing was imported."
 */
export function importError(text: string, path: JsonPath, problem: string): StoreError {
  const at = locateJsonPath(text, path);
  const pathText = formatJsonPath(path);
  const last = path[path.length - 1];
  const location: ImportErrorLocation = {
    line: at?.line ?? null,
    column: at?.column ?? null,
    path: pathText,
    field: last === undefined ? "" : typeof last === "number" ? `[${last}]` : String(last),
  };
  const where = [at ? `line ${at.line}, column ${at.column}` : "", pathText ? `(${pathText})` : ""]
    .filter(Boolean)
    .join(" ");
  return new StoreError(
    "invalid-import",
    `Import rejected${where ? ` at ${where}` : ""}: ${problem}. Nothing was imported.`,
    { ...location },
  );
}

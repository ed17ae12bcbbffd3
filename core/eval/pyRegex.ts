// Translates a Python `re` pattern (as written in lm-evaluation-harness task configs, e.g.
// `regexes_to_ignore`) into an equivalent JS RegExp with the `u` flag: Unicode \d \w \s \b,
// Python's `.` `^` `$` \A \Z semantics, (?P<name>), leading inline flags, identity escapes
// and literal braces. Unsupported constructs throw a PyRegexError naming them. Called by
// exactMatch.ts.
import { PY_WHITESPACE_CLASS } from "./text.ts";

/** Thrown when a Python pattern uses a construct with no faithful JS translation. */
export class PyRegexError extends Error {
  override name = "PyRegexError";
}

// Python's Unicode classes for str patterns: \w is str.isalnum() or "_" (letters and numbers,
// not marks), \d is Nd, \s is str.isspace().
const W_UNI = "\\p{L}\\p{N}_";
const W_ASCII = "A-Za-z0-9_";
const S_UNI = PY_WHITESPACE_CLASS.replaceAll("\\v", "\\x0b");
const S_ASCII = " \\t\\n\\r\\f\\x0b";
const END = "(?![\\s\\S])";
const START = "(?<![\\s\\S])";
// Characters that must stay escaped in a JS `u` pattern; other escaped punctuation becomes literal.
const SYNTAX = new Set("^$\\.*+?()[]{}|/");

interface Flags {
  ignoreCase: boolean;
  multiline: boolean;
  dotAll: boolean;
  ascii: boolean;
  verbose: boolean;
}

function hex(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

/** Literal for one character inside or outside a class. */
function literal(ch: string, inClass: boolean): string {
  if (inClass) return ch === "\\" || ch === "]" || ch === "[" || ch === "-" || ch === "^" ? `\\${ch}` : ch;
  return SYNTAX.has(ch) ? `\\${ch}` : ch;
}

/** Compiles a Python `re` pattern to a global, Unicode JS RegExp with the same matches. */
export function compilePythonRegex(pattern: string): RegExp {
  const flags: Flags = { ignoreCase: false, multiline: false, dotAll: false, ascii: false, verbose: false };
  let src = pattern;
  // Global inline flags must lead the pattern in Python 3.11+; several groups may follow each other.
  for (let m = /^\(\?([aiLmsux]+)\)/.exec(src); m; m = /^\(\?([aiLmsux]+)\)/.exec(src)) {
    for (const f of m[1]!) {
      if (f === "i") flags.ignoreCase = true;
      else if (f === "m") flags.multiline = true;
      else if (f === "s") flags.dotAll = true;
      else if (f === "a") flags.ascii = true;
      else if (f === "x") flags.verbose = true;
      else if (f === "L") throw new PyRegexError("the (?L) locale flag is not supported");
    }
    src = src.slice(m[0].length);
  }
  const cps = Array.from(src);
  const w = flags.ascii ? W_ASCII : W_UNI;
  const s = flags.ascii ? S_ASCII : S_UNI;
  const d = flags.ascii ? "0-9" : "\\p{Nd}";
  const boundary = `(?:(?<=[${w}])(?![${w}])|(?<![${w}])(?=[${w}]))`;
  const nonBoundary = `(?:(?<=[${w}])(?=[${w}])|(?<![${w}])(?![${w}]))`;
  let out = "";
  let i = 0;
  let inClass = false;
  let classStart = false; // just after "[" or "[^": a "]" here is literal in Python
  // The class being read: its negation, its JS items, and the sets named by \D \W \S inside
  // it (a JS `u` class cannot hold a complement, so those become lookaheads when it closes).
  let classNegated = false;
  let classBody = "";
  let classComplements: string[] = [];

  const readEscape = (): string => {
    // cps[i] is the character after the backslash; returns the JS translation.
    const c = cps[i++];
    if (c === undefined) throw new PyRegexError("pattern ends with a backslash");
    switch (c) {
      case "d":
        return inClass ? d : `[${d}]`;
      case "D":
        return inClass ? complementInClass(d) : `[^${d}]`;
      case "w":
        return inClass ? w : `[${w}]`;
      case "W":
        return inClass ? complementInClass(w) : `[^${w}]`;
      case "s":
        return inClass ? s : `[${s}]`;
      case "S":
        return inClass ? complementInClass(s) : `[^${s}]`;
      case "b":
        return inClass ? "\\x08" : boundary;
      case "B":
        return inClass ? unsupported("\\B inside a character class") : nonBoundary;
      case "A":
        return inClass ? unsupported("\\A inside a character class") : START;
      case "Z":
        return inClass ? unsupported("\\Z inside a character class") : END;
      case "n":
        return "\\n";
      case "t":
        return "\\t";
      case "r":
        return "\\r";
      case "f":
        return "\\f";
      case "v":
        return "\\x0b";
      case "a":
        return "\\x07";
      case "x": {
        const h = cps.slice(i, i + 2).join("");
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new PyRegexError(`bad escape \\x${h}`);
        i += 2;
        return hex(parseInt(h, 16));
      }
      case "u":
      case "U": {
        const len = c === "u" ? 4 : 8;
        const h = cps.slice(i, i + len).join("");
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) throw new PyRegexError(`bad escape \\${c}${h}`);
        i += len;
        return hex(parseInt(h, 16));
      }
      case "N":
        return unsupported("\\N{...} named characters");
      default:
        break;
    }
    if (c >= "0" && c <= "9") {
      const isOct = (x: string | undefined): boolean => x !== undefined && x >= "0" && x <= "7";
      // Python: \0 plus up to two octal digits, or three octal digits, is an octal escape.
      if (c === "0") {
        let digits = c;
        while (digits.length < 3 && isOct(cps[i])) digits += cps[i++]!;
        return hex(parseInt(digits, 8));
      }
      if (isOct(c) && isOct(cps[i]) && isOct(cps[i + 1])) {
        const digits = c + cps[i]! + cps[i + 1]!;
        i += 2;
        return hex(parseInt(digits, 8));
      }
      if (inClass) throw new PyRegexError(`bad escape \\${c} in a character class`);
      // Otherwise a back-reference to group 1..99.
      let ref = c;
      if (cps[i] !== undefined && cps[i]! >= "0" && cps[i]! <= "9") ref += cps[i++]!;
      return `\\${ref}`;
    }
    if (/[A-Za-z]/.test(c)) throw new PyRegexError(`bad escape \\${c}`);
    return literal(c, inClass);
  };

  const complementInClass = (set: string): string => {
    classComplements.push(set);
    return "";
  };

  // c is in [^I \S...] iff c is not in I and is in every complemented set;
  // c is in [I \S...] iff c is in I or outside one of those sets.
  const closeClass = (): string => {
    const items = classBody;
    if (classComplements.length === 0) return `[${classNegated ? "^" : ""}${items}]`;
    if (classNegated) {
      const notItems = items === "" ? "" : `(?![${items}])`;
      const inAll = classComplements
        .slice(0, -1)
        .map((set) => `(?=[${set}])`)
        .join("");
      return `(?:${notItems}${inAll}[${classComplements[classComplements.length - 1]!}])`;
    }
    const alts = classComplements.map((set) => `[^${set}]`);
    if (items !== "") alts.unshift(`[${items}]`);
    return `(?:${alts.join("|")})`;
  };

  const unsupported = (what: string): never => {
    throw new PyRegexError(`${what} is not supported`);
  };

  while (i < cps.length) {
    const c = cps[i++]!;
    if (inClass) {
      if (c === "]" && !classStart) {
        out += closeClass();
        inClass = false;
        continue;
      }
      if (c === "^" && classStart && !classNegated && classBody === "") {
        classNegated = true;
        continue; // still at the class start: "]" next is literal
      }
      classStart = false;
      if (c === "\\") classBody += readEscape();
      else if (c === "-") classBody += "-";
      else classBody += literal(c, true);
      continue;
    }
    if (flags.verbose) {
      if (/^[\t\n\v\f\r ]$/.test(c)) continue;
      if (c === "#") {
        while (i < cps.length && cps[i] !== "\n") i++;
        continue;
      }
    }
    switch (c) {
      case "\\":
        out += readEscape();
        break;
      case "[":
        inClass = true;
        classStart = true;
        classNegated = false;
        classBody = "";
        classComplements = [];
        break;
      case ".":
        out += flags.dotAll ? "[\\s\\S]" : "[^\\n]";
        break;
      case "^":
        out += flags.multiline ? `(?:${START}|(?<=\\n))` : START;
        break;
      case "$":
        // Python's $ also matches just before a newline that ends the string.
        out += flags.multiline ? `(?=\\n|${END})` : `(?=\\n?${END})`;
        break;
      case "(": {
        if (cps[i] !== "?") {
          out += "(";
          break;
        }
        const rest = cps.slice(i, i + 3).join("");
        if (rest.startsWith("?P<")) {
          out += "(?<";
          i += 3;
        } else if (rest.startsWith("?P=")) {
          const close = cps.indexOf(")", i);
          if (close < 0) throw new PyRegexError("unterminated (?P=name)");
          out += `\\k<${cps.slice(i + 3, close).join("")}>`;
          i = close + 1;
        } else if (rest.startsWith("?#")) {
          const close = cps.indexOf(")", i);
          if (close < 0) throw new PyRegexError("unterminated comment");
          i = close + 1;
        } else if (rest.startsWith("?:") || rest.startsWith("?=") || rest.startsWith("?!")) {
          out += `(${rest.slice(0, 2)}`;
          i += 2;
        } else if (rest.startsWith("?<=") || rest.startsWith("?<!")) {
          out += `(${rest}`;
          i += 3;
        } else if (rest.startsWith("?<")) {
          out += "(?<";
          i += 2;
        } else {
          unsupported(`the group "(${rest}..." (atomic, conditional or scoped-flag groups)`);
        }
        break;
      }
      case "{": {
        // A quantifier only when it has Python's {m}, {m,}, {,n} or {m,n} form; else a literal brace.
        const m = /^(\d*)(,?)(\d*)\}/.exec(cps.slice(i, i + 24).join(""));
        if (m && (m[1] !== "" || m[2] === ",")) {
          out += `{${m[1] === "" ? "0" : m[1]}${m[2]}${m[3]}}`;
          i += m[0].length;
          if (cps[i] === "+") unsupported("possessive quantifiers");
        } else out += "\\{";
        break;
      }
      case "|":
      case ")":
        out += c;
        break;
      case "}":
        out += "\\}";
        break;
      case "]":
        out += "\\]";
        break;
      case "*":
      case "+":
      case "?":
        out += c;
        if (cps[i] === "+") unsupported("possessive quantifiers");
        break;
      default:
        out += literal(c, false);
    }
  }
  if (inClass) throw new PyRegexError("unterminated character set");
  const jsFlags = `gu${flags.ignoreCase ? "i" : ""}`;
  try {
    return new RegExp(out, jsFlags);
  } catch (e) {
    throw new PyRegexError(`cannot translate ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** Python `re.sub(pattern, "", s)`. */
export function pyRegexRemove(pattern: RegExp, s: string): string {
  return s.replace(pattern, "");
}

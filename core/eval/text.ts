// Python string conventions the reference metric implementations rely on (str.split(),
// rstrip(), isspace(), lower(), string.punctuation, code-point indexing), written once so
// every metric in core/eval agrees with rouge-score, sacrebleu and lm-evaluation-harness.
// Called by the metric modules; see shared/metrics/SPEC.md §0.

/**
 * The characters for which Python's `str.isspace()` is true. JS `\s` differs: it lacks
 * U+001C-U+001F and U+0085 and includes U+FEFF, so metrics never use `\s`.
 */
export const PY_WHITESPACE_CLASS =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const PY_WS_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`, "g");

/** Python `str.isspace()` for one UTF-16 unit (all Python whitespace is in the BMP). */
export function isPyWhitespaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python `s.split()` with no argument: splits on runs of whitespace and never yields "". */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (isPyWhitespaceCode(s.charCodeAt(i))) {
      if (start >= 0) {
        out.push(s.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** Python `s.rstrip()` with no argument. */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPyWhitespaceCode(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Python `''.join(s.split())`: the text with every whitespace character removed. */
export function pyRemoveWhitespace(s: string): string {
  return s.replace(PY_WS_RUN, "");
}

/**
 * Python `str.lower()`. V8's `toLowerCase` applies the same full, locale-independent
 * mapping (İ -> i + U+0307, Kelvin sign -> k, final sigma); the two differ only on letters
 * added after Unicode 14, which Python 3.11 does not know yet.
 */
export function pyLower(s: string): string {
  return s.toLowerCase();
}

/** Python's `string.punctuation`: the 32 ASCII punctuation characters. */
export const ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/** Python `len(s)`: the number of code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one astral code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Number of UTF-8 bytes of a string (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

// sacrebleu 2.x tokenizers for BLEU: 13a (mteval-v13a, the default), intl (mteval-v14),
// none and char. Each returns the tokenized line as one space-joined string, as sacrebleu
// does; bleu.ts splits it on Python whitespace. SPEC: shared/metrics/SPEC.md §2.1.
import { z } from "zod";
import { pySplit } from "./text.ts";

/** Tokenizer names: "13a" (default), "intl" (Unicode punctuation/symbols), "none", "char". */
export const bleuTokenizerSchema = z.enum(["13a", "intl", "none", "char"]);
export type BleuTokenizerName = z.infer<typeof bleuTokenizerSchema>;

// 13a is sacrebleu's four regex substitutions, applied in order (Python `re`, global, left to
// right), written out as scans because they dominate BLEU's run time as regexes:
//   ([\{-\~\[-\` -\&\(-\+\:-\@\/])  -> " \1 "
//   ([^0-9])([\.,])                  -> "\1 \2 "
//   ([\.,])([^0-9])                  -> " \1 \2"
//   ([0-9])(-)                        -> "\1 \2 "
// They scan UTF-16 units: every class is ASCII, and a surrogate half taken by [^0-9] stays
// next to its partner in the output, so the text equals Python's code-point result. Spaces
// are in the first class, but tripling them changes no later match (test/unit/eval checks
// the scans against the regexes), so the first scan leaves them alone.
const SYMBOL_13A = new Uint8Array(128);
for (const c of '{|}~[\\]^_`!"#$%&()*+:;<=>?@/') SYMBOL_13A[c.charCodeAt(0)] = 1;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isPeriodComma = (c: number): boolean => c === 46 || c === 44;

/**
 * Two reused UTF-16 code buffers for the 13a scans: each scan reads one and writes the
 * other, so a line is tokenized without building intermediate strings.
 */
export class CodeBuffers {
  /** Buffer holding the current text. */
  cur = new Uint16Array(512);
  /** Buffer the next scan writes. */
  next = new Uint16Array(512);
  /** Number of code units of the current text in `cur`. */
  length = 0;

  /** Makes `next` hold at least `size` units. */
  reserveNext(size: number): Uint16Array {
    if (this.next.length < size) {
      let cap = this.next.length;
      while (cap < size) cap *= 2;
      this.next = new Uint16Array(cap);
    }
    return this.next;
  }

  /** Makes the `next` buffer (holding `length` units) current. */
  swap(length: number): void {
    const t = this.cur;
    this.cur = this.next;
    this.next = t;
    this.length = length;
  }
}

/** The 13a preprocessing done on strings (rare characters only): skipped tags, line breaks, entities. */
function clean13a(line: string): string {
  let s = line;
  if (s.includes("<skipped>")) s = s.replaceAll("<skipped>", "");
  if (s.includes("\n")) s = s.replaceAll("-\n", "").replaceAll("\n", " ");
  if (s.includes("&")) {
    // This order unescapes twice: "&amp;lt;" becomes "<", as in mteval-v13a.
    s = s.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  }
  return s;
}

/**
 * sacrebleu `Tokenizer13a.__call__` before the final split, into `buf.cur[0, buf.length)`:
 * tokens separated by runs of Python whitespace. Each scan is one regex substitution.
 */
export function codes13a(line: string, buf: CodeBuffers): void {
  const s = clean13a(line);
  const len = s.length;
  // " " + s + " ", with every symbol padded: ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
  let out = buf.reserveNext(3 * len + 2);
  let k = 0;
  out[k++] = 32;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && SYMBOL_13A[c] === 1) {
      out[k++] = 32;
      out[k++] = c;
      out[k++] = 32;
    } else out[k++] = c;
  }
  out[k++] = 32;
  buf.swap(k);
  // ([^0-9])([\.,]) -> "\1 \2 "
  let src = buf.cur;
  let n = buf.length;
  out = buf.reserveNext(2 * n);
  k = 0;
  let i = 0;
  for (; i + 1 < n; i++) {
    const a = src[i]!;
    const b = src[i + 1]!;
    out[k++] = a;
    if (!isDigit(a) && isPeriodComma(b)) {
      out[k++] = 32;
      out[k++] = b;
      out[k++] = 32;
      i++;
    }
  }
  if (i < n) out[k++] = src[i]!;
  buf.swap(k);
  // ([\.,])([^0-9]) -> " \1 \2"
  src = buf.cur;
  n = buf.length;
  out = buf.reserveNext(2 * n);
  k = 0;
  i = 0;
  for (; i + 1 < n; i++) {
    const a = src[i]!;
    const b = src[i + 1]!;
    if (isPeriodComma(a) && !isDigit(b)) {
      out[k++] = 32;
      out[k++] = a;
      out[k++] = 32;
      out[k++] = b;
      i++;
    } else out[k++] = a;
  }
  if (i < n) out[k++] = src[i]!;
  buf.swap(k);
  // ([0-9])(-) -> "\1 \2 "
  src = buf.cur;
  n = buf.length;
  out = buf.reserveNext(2 * n);
  k = 0;
  i = 0;
  for (; i + 1 < n; i++) {
    const a = src[i]!;
    out[k++] = a;
    if (isDigit(a) && src[i + 1] === 45) {
      out[k++] = 32;
      out[k++] = 45;
      out[k++] = 32;
      i++;
    }
  }
  if (i < n) out[k++] = src[i]!;
  buf.swap(k);
}

const sharedCodes = new CodeBuffers();

/** The current text of a code buffer as a string. */
function codesToString(buf: CodeBuffers): string {
  let out = "";
  const { cur, length } = buf;
  // Chunks keep String.fromCharCode's argument count small.
  for (let i = 0; i < length; i += 4096) out += String.fromCharCode(...cur.subarray(i, Math.min(length, i + 4096)));
  return out;
}

/** The 13a-tokenized line before the split, as a string. */
function spaced13a(line: string): string {
  codes13a(line, sharedCodes);
  return codesToString(sharedCodes);
}

/** sacrebleu `Tokenizer13a.__call__`, returning the tokens (its output split on whitespace). */
export function tokens13a(line: string): string[] {
  return pySplit(spaced13a(line));
}

/** sacrebleu `Tokenizer13a.__call__`: the tokenized line, tokens joined by single spaces. */
export function tokenize13a(line: string): string {
  return tokens13a(line).join(" ");
}

// intl is three substitutions with Unicode property classes (Python `regex`), on code points:
//   (\P{N})(\p{P}) -> "\1 \2 ",  (\p{P})(\P{N}) -> " \1 \2",  (\p{S}) -> " \1 "
// written out as scans over code points with a cached class per character; test/unit/eval
// checks them against the equivalent `u` regexes.
const NUMBER = 1;
const PUNCT = 2;
const SYMBOL = 4;
const RE_N = /^\p{N}$/u;
const RE_P = /^\p{P}$/u;
const RE_S = /^\p{S}$/u;
/** Classes of astral code points seen so far. */
const classCache = new Map<number, number>();
/** Classes of BMP code points, 0xff until first seen (a lone surrogate is Cs: none of N/P/S). */
const BMP_CLASS = new Uint8Array(0x10000).fill(0xff);
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_CLASS[c] = computeClass(String.fromCharCode(c));

function computeClass(ch: string): number {
  return (RE_N.test(ch) ? NUMBER : 0) | (RE_P.test(ch) ? PUNCT : 0) | (RE_S.test(ch) ? SYMBOL : 0);
}

/** N/P/S bits of a code point (a lone surrogate is Cs: none of them). */
function classOf(cp: number): number {
  if (cp < 128) return ASCII_CLASS[cp]!;
  if (cp < 0x10000) {
    const b = BMP_CLASS[cp]!;
    if (b !== 0xff) return b;
    return (BMP_CLASS[cp] = computeClass(String.fromCharCode(cp)));
  }
  let k = classCache.get(cp);
  if (k === undefined) {
    k = computeClass(String.fromCodePoint(cp));
    classCache.set(cp, k);
  }
  return k;
}

/** Code point at index i of a code buffer of length n (lone surrogates as themselves). */
function cpAtCodes(s: Uint16Array, i: number, n: number): number {
  const c = s[i]!;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
    const d = s[i + 1]!;
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

/**
 * One pair substitution over code points of `buf.cur`, as Python's `re.sub` scans: where
 * adjacent code points (a, b) match, writes "a b " for (\P{N})(\p{P}) (`before` false) or
 * " a b" for (\p{P})(\P{N}) (`before` true) and continues after b.
 */
function substitutePairCodes(buf: CodeBuffers, before: boolean): void {
  const src = buf.cur;
  const n = buf.length;
  const out = buf.reserveNext(2 * n);
  let k = 0;
  let i = 0;
  while (i < n) {
    const ua = src[i]!;
    const a = ua < 128 ? ua : cpAtCodes(src, i, n);
    const la = a > 0xffff ? 2 : 1;
    const j = i + la;
    if (j >= n) break;
    const ub = src[j]!;
    const b = ub < 128 ? ub : cpAtCodes(src, j, n);
    const lb = b > 0xffff ? 2 : 1;
    const ka = a < 128 ? ASCII_CLASS[a]! : classOf(a);
    const kb = b < 128 ? ASCII_CLASS[b]! : classOf(b);
    // before: (\p{P})(\P{N}); otherwise (\P{N})(\p{P}).
    if (before ? (ka & PUNCT) !== 0 && !(kb & NUMBER) : !(ka & NUMBER) && (kb & PUNCT) !== 0) {
      if (before) out[k++] = 32;
      for (let u = i; u < j; u++) out[k++] = src[u]!;
      out[k++] = 32;
      for (let u = j; u < j + lb; u++) out[k++] = src[u]!;
      if (!before) out[k++] = 32;
      i = j + lb;
    } else {
      for (let u = i; u < j; u++) out[k++] = src[u]!;
      i = j;
    }
  }
  while (i < n) out[k++] = src[i++]!;
  buf.swap(k);
}

/**
 * sacrebleu `TokenizerV14International.__call__` before the final split, into
 * `buf.cur[0, buf.length)`: tokens separated by runs of Python whitespace.
 */
export function codesIntl(line: string, buf: CodeBuffers): void {
  const len = line.length;
  const first = buf.reserveNext(len);
  for (let i = 0; i < len; i++) first[i] = line.charCodeAt(i);
  buf.swap(len);
  substitutePairCodes(buf, false);
  substitutePairCodes(buf, true);
  // (\p{S}) -> " \1 "
  const src = buf.cur;
  const n = buf.length;
  const out = buf.reserveNext(3 * n);
  let k = 0;
  for (let i = 0; i < n;) {
    const u = src[i]!;
    if (u < 128) {
      // ASCII fast path (most text): one unit, class from the table.
      if (ASCII_CLASS[u]! & SYMBOL) {
        out[k++] = 32;
        out[k++] = u;
        out[k++] = 32;
      } else out[k++] = u;
      i++;
      continue;
    }
    const c = cpAtCodes(src, i, n);
    const l = c > 0xffff ? 2 : 1;
    const sym = (classOf(c) & SYMBOL) !== 0;
    if (sym) out[k++] = 32;
    for (let u = i; u < i + l; u++) out[k++] = src[u]!;
    if (sym) out[k++] = 32;
    i += l;
  }
  buf.swap(k);
}

/** The intl-tokenized line before the split, as a string. */
function spacedIntl(line: string): string {
  codesIntl(line, sharedCodes);
  return codesToString(sharedCodes);
}

/** sacrebleu `TokenizerV14International.__call__`, returning the tokens (no end padding: "1990." stays whole at the end). */
export function tokensIntl(line: string): string[] {
  return pySplit(spacedIntl(line));
}

/** sacrebleu `TokenizerV14International.__call__`: the tokenized line, tokens joined by single spaces. */
export function tokenizeIntl(line: string): string {
  return tokensIntl(line).join(" ");
}

/** sacrebleu `TokenizerChar`: every code point becomes a token (whitespace disappears on split). */
export function tokenizeChar(line: string): string {
  return Array.from(line).join(" ");
}

/** Returns the tokenizer function for a name (the tokenized line as one string). */
export function bleuTokenizer(name: BleuTokenizerName): (line: string) => string {
  switch (name) {
    case "13a":
      return tokenize13a;
    case "intl":
      return tokenizeIntl;
    case "char":
      return tokenizeChar;
    case "none":
      return (line) => line;
  }
}

/** Returns a function giving the tokens sacrebleu counts: the tokenized line split on Python whitespace. */
export function bleuTokenSplitter(name: BleuTokenizerName): (line: string) => string[] {
  if (name === "13a") return tokens13a;
  if (name === "intl") return tokensIntl;
  const tok = bleuTokenizer(name);
  return (line) => pySplit(tok(line));
}

/**
 * Returns a function giving the tokenized line with tokens separated by runs of Python
 * whitespace, not yet split (bleu.ts interns the tokens straight from it).
 */
export function bleuSpacedTokenizer(name: BleuTokenizerName): (line: string) => string {
  if (name === "13a") return spaced13a;
  if (name === "intl") return spacedIntl;
  return bleuTokenizer(name);
}

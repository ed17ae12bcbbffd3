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

function padSymbols(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && SYMBOL_13A[c] === 1) {
      out += s.slice(from, i) + " " + s[i] + " ";
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** ([^0-9])([\.,]) -> "\1 \2 " */
function splitPeriodCommaAfter(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i + 1 < s.length; i++) {
    if (!isDigit(s.charCodeAt(i)) && isPeriodComma(s.charCodeAt(i + 1))) {
      out += s.slice(from, i + 1) + " " + s[i + 1] + " ";
      from = i + 2;
      i++;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** ([\.,])([^0-9]) -> " \1 \2" */
function splitPeriodCommaBefore(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i + 1 < s.length; i++) {
    if (isPeriodComma(s.charCodeAt(i)) && !isDigit(s.charCodeAt(i + 1))) {
      out += s.slice(from, i) + " " + s[i] + " " + s[i + 1];
      from = i + 2;
      i++;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** ([0-9])(-) -> "\1 \2 " */
function splitDigitDash(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i + 1 < s.length; i++) {
    if (isDigit(s.charCodeAt(i)) && s.charCodeAt(i + 1) === 45) {
      out += s.slice(from, i + 1) + " - ";
      from = i + 2;
      i++;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** sacrebleu `Tokenizer13a.__call__`, returning the tokens (its output split on whitespace). */
export function tokens13a(line: string): string[] {
  let s = line;
  if (s.includes("<skipped>")) s = s.replaceAll("<skipped>", "");
  if (s.includes("\n")) s = s.replaceAll("-\n", "").replaceAll("\n", " ");
  if (s.includes("&")) {
    // This order unescapes twice: "&amp;lt;" becomes "<", as in mteval-v13a.
    s = s.replaceAll("&quot;", '"').replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  }
  s = splitDigitDash(splitPeriodCommaBefore(splitPeriodCommaAfter(padSymbols(` ${s} `))));
  return pySplit(s);
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
const classCache = new Map<number, number>();
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_CLASS[c] = computeClass(String.fromCharCode(c));

function computeClass(ch: string): number {
  return (RE_N.test(ch) ? NUMBER : 0) | (RE_P.test(ch) ? PUNCT : 0) | (RE_S.test(ch) ? SYMBOL : 0);
}

/** N/P/S bits of a code point (a lone surrogate is Cs: none of them). */
function classOf(cp: number): number {
  if (cp < 128) return ASCII_CLASS[cp]!;
  let k = classCache.get(cp);
  if (k === undefined) {
    k = computeClass(String.fromCodePoint(cp));
    classCache.set(cp, k);
  }
  return k;
}

/** Code point at UTF-16 index i (lone surrogates as themselves). */
function cpAt(s: string, i: number): number {
  return s.codePointAt(i)!;
}

/** Scans pairs of code points (a, b); where `test(classA, classB)` holds, emits `join(a, b)` and skips both. */
function substitutePairs(
  s: string,
  test: (a: number, b: number) => boolean,
  join: (a: string, b: string) => string,
): string {
  let out = "";
  let from = 0;
  let i = 0;
  while (i < s.length) {
    const a = cpAt(s, i);
    const la = a > 0xffff ? 2 : 1;
    const j = i + la;
    if (j >= s.length) break;
    const b = cpAt(s, j);
    const lb = b > 0xffff ? 2 : 1;
    if (test(classOf(a), classOf(b))) {
      out += s.slice(from, i) + join(s.slice(i, j), s.slice(j, j + lb));
      i = j + lb;
      from = i;
    } else i = j;
  }
  return from === 0 ? s : out + s.slice(from);
}

function padSymbolsIntl(s: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length;) {
    const c = cpAt(s, i);
    const len = c > 0xffff ? 2 : 1;
    if (classOf(c) & SYMBOL) {
      out += s.slice(from, i) + " " + s.slice(i, i + len) + " ";
      from = i + len;
    }
    i += len;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** sacrebleu `TokenizerV14International.__call__`, returning the tokens (no end padding: "1990." stays whole at the end). */
export function tokensIntl(line: string): string[] {
  let s = substitutePairs(
    line,
    (a, b) => !(a & NUMBER) && (b & PUNCT) !== 0,
    (a, b) => `${a} ${b} `,
  );
  s = substitutePairs(
    s,
    (a, b) => (a & PUNCT) !== 0 && !(b & NUMBER),
    (a, b) => ` ${a} ${b}`,
  );
  return pySplit(padSymbolsIntl(s));
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

// Exact match as lm-eval exact_match_hf_evaluate, and the Python `re` to JS translation it
// relies on for regexes_to_ignore. Expected strings come from CPython 3.11 `re.sub`.
import { exactMatch, exactMatchNormalizer } from "../../../core/eval/exactMatch.ts";
import { compilePythonRegex, PyRegexError } from "../../../core/eval/pyRegex.ts";

describe("exactMatch", () => {
  it("ignores trailing NULs (numpy unicode arrays) but not spaces", () => {
    expect(exactMatch("Paris\0", "Paris")).toBe(1);
    expect(exactMatch("Paris\0\0", "Paris\0")).toBe(1);
    expect(exactMatch(" Paris", "Paris")).toBe(0);
    expect(exactMatch("Paris ", "Paris")).toBe(0);
    expect(exactMatch("\0Paris", "Paris")).toBe(0);
  });

  it("lowercases with Python lower() (İ becomes i + U+0307)", () => {
    expect(exactMatch("İ", "i\u0307", { ignoreCase: true })).toBe(1);
    expect(exactMatch("İ", "i", { ignoreCase: true })).toBe(0);
    expect(exactMatch("Straße", "STRASSE", { ignoreCase: true })).toBe(0);
  });

  it("removes only ASCII punctuation and ASCII digits", () => {
    expect(exactMatch("x'y", "xy", { ignorePunctuation: true })).toBe(1);
    expect(exactMatch("x’y", "xy", { ignorePunctuation: true })).toBe(0);
    expect(exactMatch("a。", "a", { ignorePunctuation: true })).toBe(0);
    expect(exactMatch("٣4", "٣", { ignoreNumbers: true })).toBe(1);
    expect(exactMatch("²", "", { ignoreNumbers: true })).toBe(0);
  });

  it("applies regexes first, then case, punctuation and digits", () => {
    const opts = { regexesToIgnore: ["Answer: "], ignoreCase: true };
    expect(exactMatch("Answer: B", "b", opts)).toBe(1);
    expect(exactMatch("answer: B", "b", opts)).toBe(0);
  });

  it("handles the gsm8k-style regexes", () => {
    const opts = { regexesToIgnore: [",", "\\$", "(?s).*#### ", "\\.$"] };
    expect(exactMatch("so the total is $1,234.\n#### 1234", "1234", opts)).toBe(1);
    expect(exactMatch("#### 1,234.", "1234", opts)).toBe(1);
    expect(exactMatch("#### 1235", "1234", opts)).toBe(0);
  });

  it("counts a match against any of several references", () => {
    expect(exactMatch("b", ["a", "b"])).toBe(1);
    expect(exactMatch("c", ["a", "b"])).toBe(0);
  });

  it("builds one normalizer for many strings", () => {
    const norm = exactMatchNormalizer({ ignoreCase: true, ignorePunctuation: true });
    expect(["Hello, World!", "HELLO world"].map(norm)).toEqual(["hello world", "hello world"]);
  });
});

describe("compilePythonRegex", () => {
  it.each([
    ["\\.$", "5.\n", "5\n"], // $ also matches before a final newline
    ["\\.$", "5.\n\n", "5.\n\n"],
    ["(?m)x$", "ax\nbx", "a\nb"],
    [".", "a\nb", "\n"], // . does not match \n
    ["(?s).", "a\nb", ""],
    ["\\d", "٣4²", "²"], // \d is Unicode Nd, not superscripts
    ["(?a)\\d", "٣4", "٣"],
    ["\\w+", "é e\u0301 x_1", " \u0301 "], // combining marks are not \w
    ["(?P<n>a)(?P=n)", "aab", "b"],
    ["q{", "q{", ""], // a brace that is no quantifier is a literal
    ["a{,2}", "aaab", "b"],
    ["\\bthe\\b", "the other then the", " other then "],
    ["[^\\S\\n]+", "a \t\nb", "a\nb"], // complemented class inside a negated class
    ["\\s+", "a\x85b\ufeffc", "ab\ufeffc"], // Python whitespace, not JS \s
    ["(?i)straße", "STRASSE Straße", "STRASSE "],
    ["\\Z", "x", "x"],
    ["\\-\\'", "-'x", "x"], // identity escapes JS `u` mode would reject
  ] as const)("re.sub(%j, '', %j) == %j", (pattern, text, expected) => {
    expect(text.replace(compilePythonRegex(pattern), "")).toBe(expected);
  });

  it.each(["a++", "(?>a)", "(?(1)a|b)", "(?i:a)", "\\N{EM DASH}", "\\q", "[a", "a(?i)", "(?L)a"])(
    "rejects %j with a PyRegexError",
    (pattern) => {
      expect(() => compilePythonRegex(pattern)).toThrow(PyRegexError);
    },
  );
});

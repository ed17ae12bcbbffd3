// Python string conventions used by every metric: str.split(), rstrip(), isspace(), lower(),
// code-point length and UTF-8 length.
import {
  isPyWhitespaceCode,
  pyLen,
  pyLower,
  pyRemoveWhitespace,
  pyRstrip,
  pySplit,
  utf8Length,
} from "../../../core/eval/text.ts";

// Exactly the code points for which CPython's str.isspace() is true.
const PY_SPACES = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

describe("Python whitespace", () => {
  it("is exactly str.isspace() over the BMP", () => {
    const found: number[] = [];
    for (let c = 0; c < 0x10000; c++) if (isPyWhitespaceCode(c)) found.push(c);
    expect(found).toEqual(PY_SPACES);
  });

  it("differs from JS \\s: U+001C-U+001F and U+0085 are whitespace, U+FEFF and U+180E are not", () => {
    expect(pySplit("a\x1cb\x1fc\x85d")).toEqual(["a", "b", "c", "d"]);
    expect(pySplit("a\ufeffb")).toEqual(["a\ufeffb"]);
    expect(pySplit("a\u180eb")).toEqual(["a\u180eb"]);
    expect(pySplit("a\u200bb")).toEqual(["a\u200bb"]); // zero-width space is not whitespace
  });

  it("split() drops empty pieces from runs and both ends", () => {
    expect(pySplit("  a \t\n b\u3000\u3000c  ")).toEqual(["a", "b", "c"]);
    expect(pySplit("")).toEqual([]);
    expect(pySplit(" \n\t ")).toEqual([]);
  });

  it("rstrip() removes trailing Python whitespace only", () => {
    expect(pyRstrip("  x y \x85\u2028\x1f")).toBe("  x y");
    expect(pyRstrip("x\ufeff")).toBe("x\ufeff");
    expect(pyRstrip("   ")).toBe("");
  });

  it("''.join(s.split()) removes all whitespace", () => {
    expect(pyRemoveWhitespace(" a\u00a0b\x1dc\u205f ")).toBe("abc");
  });
});

describe("Python lower()", () => {
  it("maps Turkish dotted capital I to i + combining dot (two code points)", () => {
    expect(pyLower("İ")).toBe("i\u0307");
    expect(pyLen(pyLower("İstanbul"))).toBe(9);
  });

  it("maps the Kelvin sign to k and applies final sigma", () => {
    expect(pyLower("\u212a")).toBe("k");
    expect(pyLower("ΟΔΟΣ")).toBe("οδος");
    expect(pyLower("ΣΑ Σ")).toBe("σα σ");
  });
});

describe("code points and bytes", () => {
  it("counts astral characters once, as Python len()", () => {
    expect(pyLen("😀")).toBe(1);
    expect(pyLen("a😀b")).toBe(3);
    expect(pyLen("👩‍💻")).toBe(3); // woman, ZWJ, laptop
    expect(pyLen("e\u0301")).toBe(2);
    expect(pyLen("")).toBe(0);
  });

  it("counts UTF-8 bytes", () => {
    expect(utf8Length("abc")).toBe(3);
    expect(utf8Length("é")).toBe(2);
    expect(utf8Length("東京")).toBe(6);
    expect(utf8Length("😀")).toBe(4);
  });
});

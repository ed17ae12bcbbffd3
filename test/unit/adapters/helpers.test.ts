// The Adapters panel's pure helpers: the scale list people type for a sweep, set labels,
// paths from a drop, and the chart geometry (scales, round ticks, path data).
import { describe, expect, it } from "vitest";
import { describeSet, formatScale, parseScales, pathFromDrop } from "../../../renderer/adapters/scales.ts";
import { extent, linePath, linearScale, niceTicks, tickLabel } from "../../../renderer/adapters/chart.ts";

describe("parseScales", () => {
  it("continues 'a, b, ..., z' with the step b - a, without float noise", () => {
    expect(parseScales("0, 0.25, ..., 1.5")).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5]);
    expect(parseScales("0, 0.1, …, 0.3")).toEqual([0, 0.1, 0.2, 0.3]);
    expect(parseScales("-1, -0.5, ..., 1")).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(parseScales("2, 1.5, ..., 0")).toEqual([2, 1.5, 1, 0.5, 0]);
  });

  it("reads 'from:step:to' ranges and plain lists", () => {
    expect(parseScales("0:0.5:2")).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(parseScales("1 0.5; -0.5")).toEqual([1, 0.5, -0.5]);
  });

  it("says what is wrong", () => {
    expect(() => parseScales("")).toThrow(/at least one/);
    expect(() => parseScales("0, x")).toThrow(/"x" is not a number/);
    expect(() => parseScales("0, ..., 1")).toThrow(/first, second, \.\.\., last/);
    expect(() => parseScales("0:0:1")).toThrow(/step must not be 0/);
    expect(() => parseScales("0, 0.01, ..., 1")).toThrow(/101 scales; at most 41/);
    expect(() => parseScales("0:0.001:1")).toThrow(/1001 scales; at most 41/);
    expect(() => parseScales("1, 5")).toThrow(/outside -4\.\.4/);
    expect(() => parseScales("1, 2, ..., 0")).toThrow(/never reaches 0/);
  });
});

describe("labels and drops", () => {
  it("labels sets with library names, falling back to file names", () => {
    const set = [
      { adapterId: "a1", file: "/x/plus2.gguf", sha256: null, scale: 0.5 },
      { adapterId: null, file: "C:\\lora\\alt.gguf", sha256: null, scale: -1 },
    ];
    expect(describeSet([])).toBe("base");
    expect(describeSet(set, (id) => (id === "a1" ? "Plus two" : undefined))).toBe("Plus two ×0.5 + alt.gguf ×-1");
    expect(formatScale(0.1 + 0.2)).toBe("0.3");
  });

  it("finds a path in a drop: file URIs, plain absolute paths, an Electron File path, else null", () => {
    expect(pathFromDrop("file:///home/me/My%20LoRA.gguf\r\n", "", [])).toBe("/home/me/My LoRA.gguf");
    expect(pathFromDrop("# comment\nfile:///C:/lora/a.gguf", "", [])).toBe("C:/lora/a.gguf");
    expect(pathFromDrop("", "/tmp/a.gguf", [])).toBe("/tmp/a.gguf");
    expect(pathFromDrop("", "D:\\a.gguf", [])).toBe("D:\\a.gguf");
    expect(pathFromDrop("", "just words", [undefined, "/e/x.gguf"])).toBe("/e/x.gguf");
    expect(pathFromDrop("", "", [undefined])).toBeNull();
  });
});

describe("chart geometry", () => {
  it("maps domains linearly (flat domains to the middle)", () => {
    const s = linearScale(0, 2, 100, 300);
    expect([s(0), s(1), s(2)]).toEqual([100, 200, 300]);
    expect(linearScale(1, 1, 0, 10)(5)).toBe(5);
  });

  it("picks round ticks in steps of 1, 2 or 5 x 10^n", () => {
    expect(niceTicks(0, 1.5, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4]);
    expect(niceTicks(0, 1.5, 3)).toEqual([0, 0.5, 1, 1.5]);
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(-7.3, 3.1, 5)).toEqual([-6, -4, -2, 0, 2]);
    expect(niceTicks(0, 0.003, 3)).toEqual([0, 0.001, 0.002, 0.003]);
    expect(niceTicks(2, 2)).toEqual([2]);
    expect(niceTicks(Number.NaN, 1)).toEqual([]);
  });

  it("pads flat extents and breaks lines at non-finite points", () => {
    expect(extent([])).toEqual([0, 1]);
    expect(extent([3, 3])).toEqual([2.7, 3.3]);
    expect(extent([0, 0])).toEqual([-1, 1]);
    expect(extent([1, Number.NaN, 5])).toEqual([1, 5]);
    const id = (v: number) => v;
    expect(linePath([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: Number.NaN }, { x: 3, y: 4 }], id, id)).toBe("M0.00 1.00 L1.00 2.00 M3.00 4.00");
  });

  it("labels ticks briefly", () => {
    expect([tickLabel(0), tickLabel(0.25), tickLabel(1234.5), tickLabel(123456), tickLabel(0.0001)]).toEqual(["0", "0.25", "1230", "1.2e+5", "1.0e-4"]);
  });
});

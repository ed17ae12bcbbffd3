// The inspector's pure helpers (renderer/models/inspectTable.ts): parameter counts for people,
// and the tensor table's filter and sort (natural name order, bytes descending, file order ties).
import { describe, expect, it } from "vitest";
import type { InspectedTensor } from "../../../core/gguf/inspect.ts";
import { formatParams, tensorRows } from "../../../renderer/models/inspectTable.ts";

const t = (name: string, type: string, bytes: number, offset: number): InspectedTensor => ({ name, type, shape: [bytes], elements: bytes, bytes, offset });
const tensors = [
  t("token_embd.weight", "Q6_K", 900, 0),
  t("blk.10.attn_q.weight", "Q4_K", 300, 1000),
  t("blk.2.attn_q.weight", "Q4_K", 300, 2000),
  t("blk.2.ffn_down.weight", "Q6_K", 500, 3000),
  t("output_norm.weight", "F32", 10, 4000),
];
const names = (rows: InspectedTensor[]) => rows.map((r) => r.name);

describe("formatParams", () => {
  it("writes counts the way model cards do", () => {
    expect(formatParams(473_920)).toBe("474K");
    expect(formatParams(637_760)).toBe("638K");
    expect(formatParams(162_417_408)).toBe("162M");
    expect(formatParams(7_241_732_096)).toBe("7.24B");
    expect(formatParams(70_553_706_496)).toBe("70.6B");
    expect(formatParams(999)).toBe("999");
    expect(formatParams(-1)).toBe("—");
  });
});

describe("tensorRows", () => {
  it("keeps file order by default", () => {
    expect(names(tensorRows(tensors))).toEqual(tensors.map((x) => x.name));
  });
  it("sorts names naturally, both ways", () => {
    expect(names(tensorRows(tensors, { sortBy: "name" }))).toEqual([
      "blk.2.attn_q.weight",
      "blk.2.ffn_down.weight",
      "blk.10.attn_q.weight",
      "output_norm.weight",
      "token_embd.weight",
    ]);
    expect(names(tensorRows(tensors, { sortBy: "name", descending: true }))[0]).toBe("token_embd.weight");
  });
  it("sorts by bytes with ties in file order", () => {
    expect(names(tensorRows(tensors, { sortBy: "bytes" }))).toEqual([
      "output_norm.weight",
      "blk.10.attn_q.weight",
      "blk.2.attn_q.weight",
      "blk.2.ffn_down.weight",
      "token_embd.weight",
    ]);
  });
  it("filters by a piece of the name or an exact type, ignoring case", () => {
    expect(names(tensorRows(tensors, { filter: "ATTN_Q" }))).toEqual(["blk.10.attn_q.weight", "blk.2.attn_q.weight"]);
    expect(names(tensorRows(tensors, { filter: "q6_k" }))).toEqual(["token_embd.weight", "blk.2.ffn_down.weight"]);
    expect(tensorRows(tensors, { filter: "nothing" })).toEqual([]);
    expect(tensorRows(tensors, { filter: "  " })).toHaveLength(5);
  });
});

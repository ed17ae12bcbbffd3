// A word-level diff between two answers (the initial answer and the final revision),
// for the critique view. Common prefix and suffix are cut first; the middle gets a
// longest-common-subsequence diff over words, or a plain replace when it is too big.

/** One piece of a diff. */
export interface DiffPart {
  /** same: in both; del: only in the old text; add: only in the new text. */
  op: "same" | "del" | "add";
  text: string;
}

/** Cells of the LCS table above which the middle is shown as one replacement. */
const MAX_CELLS = 4_000_000;

/** Words with the whitespace that follows them, so joining the parts gives the text back. */
export function diffTokens(text: string): string[] {
  return text.match(/\s+|[^\s]+\s*/g) ?? [];
}

function push(parts: DiffPart[], op: DiffPart["op"], text: string): void {
  if (!text) return;
  const last = parts.at(-1);
  if (last?.op === op) last.text += text;
  else parts.push({ op, text });
}

/** The diff from `before` to `after`. Joining same+del gives `before`; same+add gives `after`. */
export function diffWords(before: string, after: string): DiffPart[] {
  const a = diffTokens(before);
  const b = diffTokens(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const parts: DiffPart[] = [];
  push(parts, "same", a.slice(0, start).join(""));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > MAX_CELLS) {
    push(parts, "del", midA.join(""));
    push(parts, "add", midB.join(""));
  } else {
    // lcs[i][j] = LCS length of midA[i..] and midB[j..], in one flat array.
    const w = midB.length + 1;
    const lcs = new Uint32Array((midA.length + 1) * w);
    for (let i = midA.length - 1; i >= 0; i--) {
      for (let j = midB.length - 1; j >= 0; j--) {
        lcs[i * w + j] = midA[i] === midB[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < midA.length && j < midB.length) {
      if (midA[i] === midB[j]) {
        push(parts, "same", midA[i]!);
        i++;
        j++;
      } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) push(parts, "del", midA[i++]!);
      else push(parts, "add", midB[j++]!);
    }
    while (i < midA.length) push(parts, "del", midA[i++]!);
    while (j < midB.length) push(parts, "add", midB[j++]!);
  }
  push(parts, "same", a.slice(endA).join(""));
  return parts;
}

/** Words added and removed, for a one-line summary. */
export function diffStats(parts: readonly DiffPart[]): { added: number; removed: number } {
  const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
  return {
    added: parts.filter((p) => p.op === "add").reduce((s, p) => s + words(p.text), 0),
    removed: parts.filter((p) => p.op === "del").reduce((s, p) => s + words(p.text), 0),
  };
}

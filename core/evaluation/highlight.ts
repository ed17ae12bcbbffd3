// Marks the words of a prediction that also occur in a reference as part of a matching
// n-gram (n = 1..maxN, lowercased words), for the per-item inspection view. Pure; used by
// the renderer. Matching is by word, close to what ROUGE/BLEU count, not a metric itself.

/** A piece of the prediction: text and the longest matching n-gram it belongs to (0 = none). */
export interface HighlightSpan {
  text: string;
  /** Longest n such that this word is inside an n-gram also found in a reference; 0 when none. */
  match: number;
}

/** Splits the prediction into words and gaps, marking matched words. */
export function highlightMatches(prediction: string, references: readonly string[], maxN = 4): HighlightSpan[] {
  const parts = prediction.split(/(\s+)/).filter((p) => p !== "");
  const words = parts.map((p, i) => ({ i, w: p.toLowerCase() })).filter((x) => !/^\s+$/.test(x.w));
  const refGrams = new Set<string>();
  for (const ref of references) {
    const rw = ref.toLowerCase().split(/\s+/).filter(Boolean);
    for (let n = 1; n <= maxN; n++) for (let k = 0; k + n <= rw.length; k++) refGrams.add(`${n}\u0000${rw.slice(k, k + n).join(" ")}`);
  }
  const match = new Array<number>(parts.length).fill(0);
  for (let n = 1; n <= maxN; n++) {
    for (let k = 0; k + n <= words.length; k++) {
      const gram = words.slice(k, k + n).map((x) => x.w).join(" ");
      if (!refGrams.has(`${n}\u0000${gram}`)) continue;
      for (let j = k; j < k + n; j++) match[words[j]!.i] = Math.max(match[words[j]!.i]!, n);
    }
  }
  return parts.map((text, i) => ({ text, match: match[i]! }));
}

// Display helpers of the Sampling panel: token pieces with visible whitespace, percentages,
// and entropy in nats and bits.

/** A token piece with whitespace made visible ("␣", "⏎", "⇥") and control bytes as \xNN. */
export function showPiece(piece: string): string {
  if (piece === "") return "∅";
  return piece
    .replace(/ /g, "␣")
    .replace(/\n/g, "⏎")
    .replace(/\t/g, "⇥")
    .replace(/\r/g, "␍")
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** A probability as a percentage with sensible precision ("42.1%", "0.03%", "0%"). */
export function percent(p: number): string {
  if (p <= 0) return "0%";
  if (p >= 0.9995) return "100%";
  const v = p * 100;
  return `${v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(1)}%`;
}

/** Entropy in nats with its value in bits. */
export function formatEntropy(nats: number): string {
  return `${nats.toFixed(3)} nats (${(nats / Math.LN2).toFixed(2)} bits)`;
}

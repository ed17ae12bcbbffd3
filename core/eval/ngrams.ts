// Exact n-gram counting on small integers: symbols (tokens interned straight from ranges of
// the text, or code points) get local ids, and each n-gram gets the id of a node in a prefix
// trie shared by a hypothesis and its references, so counts live in reused typed arrays instead
// of string-keyed maps. Used by bleu.ts, chrf.ts and rouge.ts for throughput; results are
// identical to counting joined strings.
import { isPyWhitespaceCode } from "./text.ts";

// A local binding: calls through an imported binding can cost a getter per call under some loaders.
const isWhitespace = isPyWhitespaceCode;

/**
 * Assigns consecutive ids to substrings given as ranges of a text, without slicing the text
 * first (a hit costs one hash and one compare and allocates nothing). Ids are shared with
 * {@link TokenInterner.id}, so a string and an equal range get the same id. `range`,
 * `rangeFolded` and `rangeCodes` repeat one probe loop on purpose: a per-character callback
 * would cost what the interner is there to save (bench/eval.bench.ts).
 */
export class TokenInterner {
  /** The string of each id. */
  readonly names: string[] = [];
  private hashes = new Int32Array(64);
  private slots = new Int32Array(64).fill(-1);
  private mask = 63;

  /** Number of distinct tokens seen. */
  get size(): number {
    return this.names.length;
  }

  /** The id of `text.slice(start, end)`, adding it when new. */
  range(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === -1) break;
      if (this.hashes[id] === h) {
        const name = this.names[id]!;
        if (name.length === len) {
          let k = 0;
          while (k < len && name.charCodeAt(k) === text.charCodeAt(start + k)) k++;
          if (k === len) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    return this.add(text.slice(start, end), h, slot);
  }

  /**
   * {@link range} of the ASCII-lowercased range, for ranges of ASCII letters and digits only
   * (`c | 0x20` lowercases those and leaves digits alone), without lowercasing the text first.
   */
  rangeFolded(text: string, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (text.charCodeAt(i) | 0x20), 0x01000193);
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === -1) break;
      if (this.hashes[id] === h) {
        const name = this.names[id]!;
        if (name.length === len) {
          let k = 0;
          while (k < len && name.charCodeAt(k) === (text.charCodeAt(start + k) | 0x20)) k++;
          if (k === len) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    return this.add(text.slice(start, end).toLowerCase(), h, slot);
  }

  /** {@link range} of UTF-16 code units `codes[start, end)`. */
  rangeCodes(codes: Uint16Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ codes[i]!, 0x01000193);
    const len = end - start;
    let slot = h & this.mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === -1) break;
      if (this.hashes[id] === h) {
        const name = this.names[id]!;
        if (name.length === len) {
          let k = 0;
          while (k < len && name.charCodeAt(k) === codes[start + k]) k++;
          if (k === len) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    let name = "";
    for (let i = start; i < end; i += 4096) name += String.fromCharCode(...codes.subarray(i, Math.min(end, i + 4096)));
    return this.add(name, h, slot);
  }

  /** The id of a whole string. */
  id(token: string): number {
    return this.range(token, 0, token.length);
  }

  private add(name: string, h: number, slot: number): number {
    const id = this.names.length;
    this.names.push(name);
    if (id >= this.hashes.length) {
      const grown = new Int32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = h;
    this.slots[slot] = id;
    // Keep the load factor at most 1/2 so probes stay short.
    if (this.names.length * 2 > this.mask + 1) {
      const cap = (this.mask + 1) * 2;
      this.slots = new Int32Array(cap).fill(-1);
      this.mask = cap - 1;
      for (let k = 0; k < this.names.length; k++) {
        let s = this.hashes[k]! & this.mask;
        while (this.slots[s] !== -1) s = (s + 1) & this.mask;
        this.slots[s] = k;
      }
    }
    return id;
  }
}

/** A growable Int32Array buffer reused across calls (no allocation once it is big enough). */
export class IntBuffer {
  /** The storage; valid entries are the ones the caller wrote. */
  data: Int32Array = new Int32Array(256);

  /** Makes room for at least `size` entries (keeping the first `keep`) and returns the storage. */
  reserve(size: number, keep = 0): Int32Array {
    if (this.data.length < size) {
      let cap = this.data.length;
      while (cap < size) cap *= 2;
      const grown = new Int32Array(cap);
      if (keep > 0) grown.set(this.data.subarray(0, keep));
      this.data = grown;
    }
    return this.data;
  }
}

/** Assigns consecutive ids to code points, with a table for ASCII and a map for the rest. */
export class CodePointTable {
  private readonly ascii = new Int32Array(128).fill(-1);
  private readonly other = new Map<number, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Ids of the code points of `s` into `buf` (skipping Python whitespace if asked); returns how many. */
  encodeInto(s: string, skipWhitespace: boolean, buf: IntBuffer): number {
    const out = buf.reserve(s.length);
    let k = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 128) {
        if (skipWhitespace && (c === 32 || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f))) continue;
        let id = this.ascii[c]!;
        if (id < 0) this.ascii[c] = id = this.count++;
        out[k++] = id;
        continue;
      }
      // Python whitespace outside ASCII is all in the BMP (one unit).
      if (skipWhitespace && isWhitespace(c)) continue;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          i++;
        }
      }
      let id = this.other.get(c);
      if (id === undefined) {
        id = this.count++;
        this.other.set(c, id);
      }
      out[k++] = id;
    }
    return k;
  }
}

/**
 * A prefix trie over symbol ids: node 0 is the empty n-gram, and `child(node, symbol)` is the
 * n-gram one symbol longer. Node ids are dense, so per-text counts fit an Int32Array. The
 * child links live in an open-addressing hash table of typed arrays.
 */
export class NgramTrie {
  private keyNode: Int32Array;
  private keySym: Int32Array;
  private value: Int32Array;
  private mask: number;
  private nodes = 1;
  /** n-gram order of each node (0 for the root); valid below `size`. */
  order: Int32Array;
  /** Hash slot of each node's link (valid below `size`), so reset clears only used slots. */
  private slotOf: Int32Array;

  /** @param expected rough number of n-grams that will be added (sizes the table). */
  constructor(expected = 64) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keySym = new Int32Array(cap);
    this.value = new Int32Array(cap);
    this.mask = cap - 1;
    this.order = new Int32Array(cap / 2 + 1);
    this.slotOf = new Int32Array(cap / 2 + 1);
  }

  /** Empties the trie for reuse (cheaper than a new one per segment). */
  reset(): void {
    if (this.nodes * 4 < this.mask + 1) {
      // Few nodes in a big table (one long text grew it): clear just their slots.
      for (let i = 1; i < this.nodes; i++) this.keyNode[this.slotOf[i]!] = -1;
    } else if (this.nodes > 1) this.keyNode.fill(-1);
    this.nodes = 1;
  }

  /** Number of nodes (root included); node ids are below this. */
  get size(): number {
    return this.nodes;
  }

  child(node: number, symbol: number): number {
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(symbol + 1, 0x85ebca77)) & this.mask;
    for (;;) {
      const n = this.keyNode[h]!;
      if (n === -1) break;
      if (n === node && this.keySym[h] === symbol) return this.value[h]!;
      h = (h + 1) & this.mask;
    }
    const id = this.nodes++;
    this.keyNode[h] = node;
    this.keySym[h] = symbol;
    this.value[h] = id;
    if (id >= this.order.length) {
      const grown = new Int32Array(this.order.length * 2);
      grown.set(this.order);
      this.order = grown;
      const slots = new Int32Array(this.slotOf.length * 2);
      slots.set(this.slotOf);
      this.slotOf = slots;
    }
    this.order[id] = this.order[node]! + 1;
    this.slotOf[id] = h;
    // Keep the load factor at most 1/2 so probes stay short.
    if (this.nodes * 2 > this.mask + 1) this.grow();
    return id;
  }

  /** The child of `node` for `symbol`, or -1 when that n-gram was never added (adds nothing). */
  find(node: number, symbol: number): number {
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(symbol + 1, 0x85ebca77)) & this.mask;
    for (;;) {
      const n = this.keyNode[h]!;
      if (n === -1) return -1;
      if (n === node && this.keySym[h] === symbol) return this.value[h]!;
      h = (h + 1) & this.mask;
    }
  }

  /**
   * Like {@link occurrencesInto} but only for n-grams already in the trie (it adds nothing):
   * the n-grams of `seq[from, to)` that another text shares. Extension from a start position
   * stops at its first unknown n-gram, since no longer one can be known.
   */
  knownOccurrencesInto(seq: Int32Array, from: number, to: number, maxOrder: number, out: Int32Array, at: number): number {
    let k = at;
    for (let i = from; i < to; i++) {
      let node = 0;
      const end = Math.min(to, i + maxOrder);
      for (let j = i; j < end; j++) {
        node = this.find(node, seq[j]!);
        if (node < 0) break;
        out[k++] = node;
      }
    }
    return k - at;
  }

  /**
   * Like {@link ngramsInto} but only for n-grams already in the trie (it adds nothing); returns
   * how many of the order-n n-grams of `seq[from, to)` were found.
   */
  knownNgramsInto(seq: Int32Array, from: number, to: number, n: number, out: Int32Array, at: number): number {
    const count = Math.max(0, to - from - n + 1);
    let k = at;
    for (let i = 0; i < count; i++) {
      let node = 0;
      for (let j = from + i; j < from + i + n && node >= 0; j++) node = this.find(node, seq[j]!);
      if (node >= 0) out[k++] = node;
    }
    return k - at;
  }

  private grow(): void {
    const oldNode = this.keyNode;
    const oldSym = this.keySym;
    const oldValue = this.value;
    const cap = (this.mask + 1) * 2;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keySym = new Int32Array(cap);
    this.value = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldNode.length; i++) {
      const node = oldNode[i]!;
      if (node === -1) continue;
      const symbol = oldSym[i]!;
      let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(symbol + 1, 0x85ebca77)) & this.mask;
      while (this.keyNode[h] !== -1) h = (h + 1) & this.mask;
      this.keyNode[h] = node;
      this.keySym[h] = symbol;
      this.value[h] = oldValue[i]!;
      this.slotOf[oldValue[i]!] = h;
    }
  }

  /**
   * Writes the node ids of the order-n n-grams of `seq[from, to)` into `out` (which must hold
   * `to - from - n + 1` entries from `at`) and returns how many were written.
   */
  ngramsInto(seq: Int32Array, from: number, to: number, n: number, out: Int32Array, at: number): number {
    const count = Math.max(0, to - from - n + 1);
    for (let i = 0; i < count; i++) {
      let node = 0;
      for (let j = from + i; j < from + i + n; j++) node = this.child(node, seq[j]!);
      out[at + i] = node;
    }
    return count;
  }

  /**
   * Writes the node ids of every n-gram occurrence of orders 1..maxOrder in `seq[from, to)`
   * into `out` from `at` (room for `(to - from) * maxOrder` entries); returns how many.
   */
  occurrencesInto(seq: Int32Array, from: number, to: number, maxOrder: number, out: Int32Array, at: number): number {
    let k = at;
    for (let i = from; i < to; i++) {
      let node = 0;
      const end = Math.min(to, i + maxOrder);
      for (let j = i; j < end; j++) {
        node = this.child(node, seq[j]!);
        out[k++] = node;
      }
    }
    return k - at;
  }
}

/**
 * A zero-filled Int32Array scratch buffer that grows on demand. Callers must leave it zeroed
 * (reset the entries they touched) so the next user needs no clearing pass.
 */
export class ZeroedScratch {
  private buf = new Int32Array(1024);

  /** A zeroed view of at least `size` entries. */
  get(size: number): Int32Array {
    if (this.buf.length < size) {
      let cap = this.buf.length;
      while (cap < size) cap *= 2;
      this.buf = new Int32Array(cap);
    }
    return this.buf;
  }
}

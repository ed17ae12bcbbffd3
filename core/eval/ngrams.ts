// Exact n-gram counting on small integers: symbols (tokens or code points) get local ids,
// and each n-gram gets the id of a node in a prefix trie shared by a hypothesis and its
// references, so counts live in typed arrays instead of string-keyed maps. Used by bleu.ts,
// chrf.ts and rouge.ts for throughput; results are identical to counting joined strings.

/** Assigns consecutive ids to string symbols in first-seen order. */
export class SymbolTable {
  private readonly ids = new Map<string, number>();

  /** Number of distinct symbols seen. */
  get size(): number {
    return this.ids.size;
  }

  /** The id of `symbol`, adding it when new. */
  id(symbol: string): number {
    let id = this.ids.get(symbol);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(symbol, id);
    }
    return id;
  }

  /** Ids of a whole sequence. */
  encode(symbols: readonly string[]): Int32Array {
    const out = new Int32Array(symbols.length);
    for (let i = 0; i < symbols.length; i++) out[i] = this.id(symbols[i]!);
    return out;
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

  /** Ids of the code points of `s`, in order. */
  encode(s: string): Int32Array {
    const out = new Int32Array(s.length);
    let k = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 128) {
        let id = this.ascii[c]!;
        if (id < 0) this.ascii[c] = id = this.count++;
        out[k++] = id;
        continue;
      }
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
    return out.subarray(0, k);
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

  /** @param expected rough number of n-grams that will be added (sizes the table). */
  constructor(expected = 64) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keySym = new Int32Array(cap);
    this.value = new Int32Array(cap);
    this.mask = cap - 1;
    this.order = new Int32Array(cap / 2 + 1);
  }

  /** Empties the trie for reuse (cheaper than a new one per segment). */
  reset(): void {
    if (this.nodes > 1) this.keyNode.fill(-1);
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
    }
    this.order[id] = this.order[node]! + 1;
    // Keep the load factor at most 1/2 so probes stay short.
    if (this.nodes * 2 > this.mask + 1) this.grow();
    return id;
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
    }
  }

  /** Node ids of every n-gram occurrence of orders 1..maxOrder in `seq`, grouped by start position. */
  occurrences(seq: Int32Array, maxOrder: number): Int32Array {
    const len = seq.length;
    const out = new Int32Array(len * maxOrder);
    let k = 0;
    for (let i = 0; i < len; i++) {
      let node = 0;
      const end = Math.min(len, i + maxOrder);
      for (let j = i; j < end; j++) {
        node = this.child(node, seq[j]!);
        out[k++] = node;
      }
    }
    return out.subarray(0, k);
  }

  /** Node ids of the n-grams of exactly order n in `seq`, in order of their start position. */
  ngrams(seq: Int32Array, n: number): Int32Array {
    const count = Math.max(0, seq.length - n + 1);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      let node = 0;
      for (let j = i; j < i + n; j++) node = this.child(node, seq[j]!);
      out[i] = node;
    }
    return out;
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

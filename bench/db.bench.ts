// `npm run bench db`: the history store's costs. Streamed-message writes (raw UPDATE rate
// and what a throttled writer costs per token), full-text search latency on 10k and 100k
// generated messages (goal: median < 30 ms at 100k), and open + migrate time of an empty
// store, a 100k-message store at the current schema, and one migrated from schema 10.
import Database from "better-sqlite3";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { migrate } from "../db/migrate.ts";
import { openStore } from "../db/openStore.ts";
import { searchMessages } from "../db/search.ts";
import type { SearchFilters } from "../core/history/types.ts";
import { median, percentile, round, type BenchReport } from "./lib.ts";

/** Deterministic PRNG (mulberry32), so every run searches the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCAB = 5000;
const syllables = [
  "ka",
  "lo",
  "mi",
  "ne",
  "su",
  "ta",
  "ri",
  "po",
  "de",
  "fa",
  "gu",
  "ho",
  "ji",
  "ze",
  "vo",
  "bu",
  "ce",
  "xi",
  "ly",
  "wa",
];

/** A vocabulary of pseudo-words and a Zipf sampler over it (rank 0 = most frequent). */
function vocabulary(random: () => number) {
  const words: string[] = [];
  const seen = new Set<string>();
  while (words.length < VOCAB) {
    const n = 2 + Math.floor(random() * 3);
    let w = "";
    for (let i = 0; i < n; i++) w += syllables[Math.floor(random() * syllables.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  const cumulative: number[] = [];
  let total = 0;
  for (let r = 0; r < VOCAB; r++) cumulative.push((total += 1 / Math.pow(r + 1, 1.05)));
  const sample = () => {
    const x = random() * total;
    let lo = 0;
    let hi = VOCAB - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  return { words, sample };
}

const MODELS = ["tiny-llama.Q4_K_M.gguf", "mistral-7b.Q5_K_M.gguf", "qwen2-1.5b.Q8_0.gguf"];
const ADAPTERS = ["pirate.lora.gguf", "legal.lora.gguf"];
const YEAR_MS = 365 * 24 * 3600 * 1000;
const T0 = 1_700_000_000_000;

/**
 * Writes `count` messages (conversations of 20, user/assistant alternating, provenance on
 * every answer) into a new database at schema 10, in one transaction with prepared
 * statements. Returns the file and the generation time.
 */
function generate(dir: string, count: number, seed: number): { path: string; ms: number; phrase: string[] } {
  const path = join(dir, `gen-${count}.sqlite`);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  migrate(db, { target: 10 });
  const random = rng(seed);
  const vocab = vocabulary(random);
  const insConv = db.prepare(
    "INSERT INTO conversations (id, title, model_file, adapter_set, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const insMsg = db.prepare(
    "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'complete', ?, ?)",
  );
  const insProv = db.prepare(
    `INSERT INTO provenance (message_id, model_file, model_sha256, adapters, sampling, seed, lathe_version,
       prompt_tokens, completion_tokens, ttft_ms, tokens_per_second, started_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, '0.1.0', ?, ?, ?, ?, ?, ?)`,
  );
  const setLeaf = db.prepare("UPDATE conversations SET current_leaf_id = ? WHERE id = ?");
  let phrase: string[] = [];
  const t0 = performance.now();
  db.transaction(() => {
    let n = 0;
    for (let c = 0; n < count; c++) {
      const convId = `c${c}`;
      const model = MODELS[c % MODELS.length]!;
      const adapters =
        c % 4 === 0
          ? [{ adapterId: null, file: ADAPTERS[c % 8 === 0 ? 0 : 1]!, sha256: null, scale: 0.8 }]
          : [];
      const created = T0 + Math.floor(random() * YEAR_MS);
      insConv.run(
        convId,
        `Conversation ${c} about ${vocab.sample()}`,
        model,
        JSON.stringify(adapters),
        created,
        created,
      );
      let parent: string | null = null;
      for (let k = 0; k < 20 && n < count; k++, n++) {
        const id = `m${n}`;
        const role = k % 2 === 0 ? "user" : "assistant";
        const len = role === "user" ? 8 + Math.floor(random() * 30) : 30 + Math.floor(random() * 120);
        const words: string[] = [];
        for (let i = 0; i < len; i++) words.push(vocab.sample());
        if (n === Math.floor(count / 2)) phrase = words.slice(3, 5);
        const t = created + k * 30_000;
        insMsg.run(id, convId, parent, role, `${words.join(" ")}.`, t, t);
        if (role === "assistant") {
          insProv.run(
            id,
            model,
            null,
            JSON.stringify(adapters),
            '{"temperature":0.7,"topK":40,"topP":0.95}',
            n,
            100,
            len,
            80.5,
            30.25,
            t,
            t + 4000,
          );
        }
        parent = id;
      }
      setLeaf.run(parent, convId);
    }
  })();
  const ms = performance.now() - t0;
  db.close();
  return { path, ms, phrase };
}

interface QueryCase {
  name: string;
  query: string;
  filters?: SearchFilters;
}

function queryCases(seed: number, phrase: string[]): QueryCase[] {
  const random = rng(seed);
  const { words } = vocabulary(random); // same vocabulary as generate (same seed)
  const pick = (lo: number, hi: number) => words[lo + Math.floor(Math.random() * (hi - lo))]!;
  const cases: QueryCase[] = [];
  for (let i = 0; i < 25; i++) {
    cases.push({ name: "common word (rank < 20)", query: pick(0, 20) });
    cases.push({ name: "mid word (rank 100-1000)", query: pick(100, 1000) });
    cases.push({ name: "rare word (rank > 2000)", query: pick(2000, VOCAB) });
    cases.push({ name: "two words", query: `${pick(20, 300)} ${pick(20, 300)}` });
    cases.push({ name: "prefix", query: `${pick(50, 500).slice(0, 4)}*` });
    cases.push({ name: "phrase", query: `"${phrase.join(" ")}"` });
    cases.push({
      name: "mid word + role + model filters",
      query: pick(100, 1000),
      filters: { roles: ["assistant"], model: MODELS[i % 3]! },
    });
    cases.push({
      name: "common word + date + adapter filters",
      query: pick(0, 20),
      filters: { from: T0 + YEAR_MS / 4, to: T0 + YEAR_MS / 2, adapter: ADAPTERS[i % 2]! },
    });
  }
  return cases;
}

function timeSearch(store: ReturnType<typeof openStore>, cases: QueryCase[]) {
  const byName = new Map<string, number[]>();
  const all: number[] = [];
  let hits = 0;
  for (const c of cases) searchMessages(store.db, c.query, c.filters); // warm the cache once
  for (const c of cases) {
    const t0 = performance.now();
    hits += searchMessages(store.db, c.query, c.filters, { limit: 20 }).length;
    const ms = performance.now() - t0;
    all.push(ms);
    const list = byName.get(c.name);
    if (list) list.push(ms);
    else byName.set(c.name, [ms]);
  }
  return { byName, all, hits };
}

export default async function (): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), "lathe-bench-db-"));
  const rows: BenchReport["rows"] = [];
  const notes: string[] = [];
  try {
    // --- Streaming writes -------------------------------------------------------------
    {
      const store = openStore({ path: join(dir, "stream.sqlite") });
      const h = store.history;
      const c = await h.createConversation();
      const u = await h.addMessage({ conversationId: c.id, parentId: null, role: "user", content: "go" });
      const raw = await h.beginAssistantMessage({
        conversationId: c.id,
        parentId: u.id,
        provenance: null,
        throttleMs: 0,
      });
      const writes = 5000;
      let t0 = performance.now();
      for (let i = 0; i < writes; i++) {
        raw.append(`tok${i} `);
        await raw.flush();
      }
      const rawMs = performance.now() - t0;
      t0 = performance.now();
      await raw.finish();
      const finishMs = performance.now() - t0;
      rows.push({
        case: "stream: forced write per token",
        size: `${writes} writes, ${raw.content.length} chars`,
        median_ms: round(rawMs / writes, 3),
        p95_ms: null,
        per_s: round((writes / rawMs) * 1000),
      });
      rows.push({
        case: "stream: finish (index the text)",
        size: `${raw.content.length} chars`,
        median_ms: round(finishMs, 3),
        p95_ms: null,
        per_s: null,
      });

      const throttled = await h.beginAssistantMessage({
        conversationId: c.id,
        parentId: u.id,
        provenance: null,
      });
      const tokens = 200_000;
      t0 = performance.now();
      for (let i = 0; i < tokens; i++) throttled.append(`tok${i} `);
      const appendMs = performance.now() - t0;
      await throttled.finish();
      rows.push({
        case: "stream: throttled append (250 ms)",
        size: `${tokens} tokens`,
        median_ms: round(appendMs / tokens, 3),
        p95_ms: null,
        per_s: round((tokens / appendMs) * 1000),
      });
      notes.push(
        `streaming: ${round((writes / rawMs) * 1000)} forced DB writes/s (each appends to a growing row); the throttled writer costs ${round((appendMs / tokens) * 1000, 3)} µs per token`,
      );
      store.close();
    }

    // --- Open + migrate: empty store ---------------------------------------------------
    {
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const s = openStore({ path: join(dir, `empty-${i}.sqlite`) });
        times.push(performance.now() - t0);
        s.close();
      }
      rows.push({
        case: "open + migrate empty store (create, 0 -> 20)",
        size: "0",
        median_ms: round(median(times)),
        p95_ms: round(percentile(times, 95)),
        per_s: null,
      });
    }

    // --- Search and open at 10k and 100k ----------------------------------------------
    for (const [size, seed] of [
      [10_000, 11],
      [100_000, 12],
    ] as const) {
      const gen = generate(dir, size, seed);
      const schema10 = join(dir, `schema10-${size}.sqlite`);
      copyFileSync(gen.path, schema10);
      rows.push({
        case: "generate messages at schema 10 (one transaction)",
        size,
        median_ms: round(gen.ms),
        p95_ms: null,
        per_s: round((size / gen.ms) * 1000),
      });

      let t0 = performance.now();
      const migrated = openStore({ path: gen.path });
      const migrateMs = performance.now() - t0;
      rows.push({
        case: "open + migrate 10 -> 20 (backup + FTS backfill)",
        size,
        median_ms: round(migrateMs),
        p95_ms: null,
        per_s: null,
      });
      migrated.close();
      const mb = statSync(gen.path).size / 1024 / 1024;

      for (const check of ["auto", "quick", "header"] as const) {
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          t0 = performance.now();
          const s = openStore({ path: gen.path, check });
          times.push(performance.now() - t0);
          s.close();
        }
        rows.push({
          case: `open current store (check: ${check})`,
          size: `${size} (${round(mb, 3)} MB)`,
          median_ms: round(median(times)),
          p95_ms: null,
          per_s: null,
        });
      }

      const store = openStore({ path: gen.path });
      const { byName, all, hits } = timeSearch(store, queryCases(seed, gen.phrase));
      for (const [name, list] of byName) {
        rows.push({
          case: `search: ${name}`,
          size,
          median_ms: round(median(list), 3),
          p95_ms: round(percentile(list, 95), 3),
          per_s: null,
        });
      }
      rows.push({
        case: "search: all queries",
        size,
        median_ms: round(median(all), 3),
        p95_ms: round(percentile(all, 95), 3),
        per_s: null,
      });
      if (size === 100_000) {
        notes.push(
          `search at 100k messages: median ${round(median(all), 3)} ms, p95 ${round(percentile(all, 95), 3)} ms over ${all.length} queries (goal: median < 30 ms) -> ${median(all) < 30 ? "met" : "NOT met"}`,
        );
      }
      notes.push(`${size}: ${hits} hits returned in total; database ${round(mb, 3)} MB`);
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: "db", rows, notes };
}

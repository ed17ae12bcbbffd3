// The import-direction table is enforced by lint, not by good intentions: files planted
// in the wrong layer are reported by the project's own ESLint config.
import { describe, expect, it } from "vitest";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: process.cwd() });
async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("layering rules", () => {
  it("reports a core/ file that imports node:fs", async () => {
    const msgs = await lint("core/__planted.ts", 'import { readFileSync } from "node:fs";\nexport const read = readFileSync;\n');
    expect(msgs).toEqual([expect.stringMatching(/^no-restricted-imports: .*node:fs.*core\/ is pure/)]);
  });

  it("reports a renderer/ file that imports db/ (resolved or not)", async () => {
    const msgs = await lint("renderer/__planted.ts", 'import { x } from "../db/store.ts";\nexport const y = x;\n');
    expect(msgs.some((m) => /renderer\/ talks only through the typed API/.test(m))).toBe(true);
  });

  it("reports a renderer/ file reaching into an existing server/ module by its resolved path", async () => {
    const msgs = await lint("renderer/chat/__planted.ts", 'import { startHttpServer } from "../../server/http.ts";\nexport const s = startHttpServer;\n');
    expect(msgs).toContain(
      'import-x/no-restricted-paths: Unexpected path "../../server/http.ts" imported in restricted zone. renderer/ talks only through the typed API (core/api) and pure core/ helpers.',
    );
  });

  it("reports packages banned per layer", async () => {
    expect(await lint("core/__planted.ts", 'import Database from "better-sqlite3";\nexport const d = Database;\n')).toHaveLength(1);
    expect(await lint("server/__planted.ts", 'import { getLlama } from "node-llama-cpp";\nexport const g = getLlama;\n')).toEqual([
      expect.stringMatching(/Only engine\/ imports node-llama-cpp/),
    ]);
    expect(await lint("db/__planted.ts", 'import { getLlama } from "node-llama-cpp";\nexport const g = getLlama;\n')).toHaveLength(1);
  });

  it("accepts the allowed directions", async () => {
    expect(await lint("renderer/chat/__planted.ts", 'import { contract } from "../../core/api/index.ts";\nexport const c = contract;\n')).toEqual([]);
    expect(await lint("server/__planted.ts", 'import { contract } from "../core/api/index.ts";\nexport const c = contract;\n')).toEqual([]);
  });
});

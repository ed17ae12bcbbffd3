// Prompt-template queries: named template bodies stored as opaque JSON. Functions of the
// handle; SqliteStore wires them to core's TemplateStore.
import { StoreError } from "../core/history/errors.ts";
import type { PromptTemplate, TemplateInput } from "../core/history/types.ts";
import { hydrateTemplate, type TemplateRow } from "./rows.ts";
import { isUniqueViolation, newId, now, stmt, toJson, type Db } from "./sql.ts";

export function getTemplate(db: Db, id: string): PromptTemplate | null {
  const row = stmt<[string], TemplateRow>(db, "SELECT * FROM prompt_templates WHERE id = ?").get(id);
  return row ? hydrateTemplate(row) : null;
}

/** By name. */
export function listTemplates(db: Db): PromptTemplate[] {
  return stmt<[], TemplateRow>(db, "SELECT * FROM prompt_templates ORDER BY name COLLATE NOCASE, id")
    .all()
    .map(hydrateTemplate);
}

/** Inserts, or updates the template with input.id; names are unique. */
export function saveTemplate(db: Db, input: TemplateInput): PromptTemplate {
  const t = now();
  const id = input.id ?? newId();
  try {
    stmt(
      db,
      `INSERT INTO prompt_templates (id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name = excluded.name, body = excluded.body, updated_at = excluded.updated_at`,
    ).run(id, input.name, toJson(input.body), t, t);
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new StoreError("conflict", `A prompt template named "${input.name}" already exists.`, {
        name: input.name,
      });
    }
    throw err;
  }
  return getTemplate(db, id)!;
}

export function deleteTemplate(db: Db, id: string): boolean {
  return stmt(db, "DELETE FROM prompt_templates WHERE id = ?").run(id).changes > 0;
}

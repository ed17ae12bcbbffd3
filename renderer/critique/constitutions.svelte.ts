// The constitution editor's store: pick a constitution and a version, edit its name,
// description and principles (add, remove, reorder), save as a new version (builtin
// ones save as a copy), import and export JSON files, archive. Validation uses the
// same schema the API applies, so problems show per field before saving.
import { constitutionContentSchema, type Constitution, type ConstitutionVersionInfo, type Principle } from "../../core/critique/types.ts";
import { errorText } from "../ui/errors.ts";
import type { CritiqueShared } from "./critique.svelte.ts";
import { downloadText } from "./download.ts";

/** The content being edited. */
export interface ConstitutionDraft {
  name: string;
  description: string;
  principles: Principle[];
}

export class ConstitutionsStore {
  /** The constitution shown (null before the first load). */
  current = $state.raw<Constitution | null>(null);
  versions = $state.raw<ConstitutionVersionInfo[]>([]);
  draft = $state<ConstitutionDraft>({ name: "", description: "", principles: [] });
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  /** Field path → problem, from the schema the API validates with. */
  readonly problems = $derived.by((): Record<string, string> => {
    const r = constitutionContentSchema.safeParse(this.draft);
    if (r.success) return {};
    return Object.fromEntries(r.error.issues.map((i) => [i.path.map(String).join("."), i.message]));
  });
  /** The draft differs from the version shown. */
  readonly dirty = $derived.by(() => {
    const c = this.current;
    if (!c) return false;
    return JSON.stringify(this.draft) !== JSON.stringify({ name: c.name, description: c.description, principles: c.principles });
  });

  constructor(private readonly shared: CritiqueShared) {}

  private show(c: Constitution) {
    this.current = c;
    this.draft = { name: c.name, description: c.description, principles: c.principles.map((p) => ({ ...p })) };
  }

  /** Loads a constitution (default: the one chosen in the settings) at a version (default newest). */
  async open(id = this.shared.settings.constitutionId, version?: number): Promise<void> {
    try {
      const api = this.shared.api;
      this.show(await api.critique.getConstitution({ id, ...(version ? { version } : {}) }));
      this.versions = await api.critique.constitutionVersions({ id });
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  addPrinciple(): void {
    const taken = this.draft.principles.map((p) => p.id);
    let n = this.draft.principles.length + 1;
    while (taken.includes(`principle-${n}`)) n++;
    this.draft.principles.push({ id: `principle-${n}`, name: `Principle ${n}`, critiqueRequest: "", revisionRequest: "" });
  }
  removePrinciple(i: number): void {
    this.draft.principles.splice(i, 1);
  }
  movePrinciple(i: number, by: -1 | 1): void {
    const j = i + by;
    const list = this.draft.principles;
    if (j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j]!, list[i]!];
  }

  /** Saves the draft: a new version, or (builtin, or asked) a new constitution. */
  async save(asCopy = false): Promise<void> {
    const c = this.current;
    if (Object.keys(this.problems).length) {
      this.error = "Fix the marked fields first.";
      return;
    }
    try {
      const copy = asCopy || !c || c.builtin;
      const draft = $state.snapshot(this.draft);
      const saved = await this.shared.api.critique.saveConstitution({
        ...draft,
        ...(copy ? { name: c && draft.name === c.name ? `${draft.name} (copy)` : draft.name } : { id: c.id }),
      });
      this.notice = copy ? `Saved as a new constitution “${saved.name}”.` : saved.version === c.version ? "Nothing changed." : `Saved version ${saved.version}.`;
      this.shared.settings.constitutionId = saved.id;
      this.shared.settings.constitutionVersion = null;
      await this.shared.refresh();
      await this.open(saved.id);
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Imports a constitution file as a new constitution. */
  async importText(text: string): Promise<void> {
    try {
      const c = await this.shared.api.critique.importConstitution({ text });
      this.notice = `Imported “${c.name}”.`;
      this.shared.settings.constitutionId = c.id;
      await this.shared.refresh();
      await this.open(c.id);
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Downloads the version shown as a JSON file. */
  async exportCurrent(): Promise<void> {
    const c = this.current;
    if (!c) return;
    try {
      const file = await this.shared.api.critique.exportConstitution({ id: c.id, version: c.version });
      downloadText(file.fileName, file.text, "application/json");
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async archive(): Promise<void> {
    const c = this.current;
    if (!c) return;
    try {
      await this.shared.api.critique.archiveConstitution({ id: c.id });
      this.notice = `Archived “${c.name}”.`;
      await this.shared.refresh();
      this.shared.settings.constitutionId = this.shared.constitutions[0]?.id ?? this.shared.settings.constitutionId;
      await this.open();
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

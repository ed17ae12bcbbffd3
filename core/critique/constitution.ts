// Constitutions as files and the one Lathe ships: the default constitution (helpful,
// honest, harmless, not evasive), the JSON file format people import and export, and a
// content fingerprint that decides whether a save makes a new version. Used by the
// critique service, the db store (versioning) and the renderer's editor.
import { z } from "zod";
import { constitutionContentSchema, type ConstitutionContent, type ConstitutionContentInput } from "./types.ts";

/** Id of the builtin constitution. */
export const DEFAULT_CONSTITUTION_ID = "builtin-hhh";

/**
 * The default constitution. Harmlessness is balanced by a principle against needless
 * refusals, because a critique loop run on harmlessness alone drifts toward refusing
 * everything, which is neither helpful nor what the data should teach.
 */
export const defaultConstitution: ConstitutionContent = {
  name: "Helpful, honest, harmless",
  description:
    "Lathe's starting point: answers that do what was asked, say only what is true, avoid harm, and do not refuse without a reason.",
  principles: [
    {
      id: "helpful",
      name: "Helpful",
      critiqueRequest:
        "Look at the last answer as the person who asked. Where does it miss what they actually wanted, skip a step they would need, or bury the useful part under filler? Name each gap.",
      revisionRequest:
        "Rewrite the answer so it addresses the request directly and completely, in a sensible order, without padding. Give only the rewritten answer.",
    },
    {
      id: "honest",
      name: "Honest",
      critiqueRequest:
        "Check the last answer for statements that are wrong, invented, or more certain than the facts allow. Also note where it should admit it does not know. List each problem.",
      revisionRequest:
        "Rewrite the answer so every claim is accurate, doubts are stated plainly, and nothing is made up. Give only the rewritten answer.",
    },
    {
      id: "harmless",
      name: "Harmless",
      critiqueRequest:
        "Does the last answer contain anything that could help someone hurt people, damage property or break into systems, or anything insulting or demeaning? Point to each such part.",
      revisionRequest:
        "Rewrite the answer without the harmful parts while still helping with whatever is legitimate in the request. If something must be declined, say briefly why and suggest a safer route. Give only the rewritten answer.",
    },
    {
      id: "not-evasive",
      name: "Not evasive",
      critiqueRequest:
        "Does the last answer refuse, lecture or hedge where a plain, safe answer was possible? Point out any needless caution.",
      revisionRequest:
        "Rewrite the answer to help plainly wherever that is safe, keeping any warning short and relevant. Give only the rewritten answer.",
    },
  ],
};

/** Name of the constitution file format. */
export const CONSTITUTION_FILE_FORMAT = "lathe-constitution";
/** Version of the constitution file format. */
export const CONSTITUTION_FILE_VERSION = 1;

/** A constitution file: the content plus a format tag; `sourceVersion` says which version was exported. */
export const constitutionFileSchema = z.object({
  format: z.literal(CONSTITUTION_FILE_FORMAT),
  /** File format version (1). */
  version: z.literal(CONSTITUTION_FILE_VERSION),
  /** The constitution version the file was exported from (information only). */
  sourceVersion: z.number().int().min(1).optional(),
  constitution: constitutionContentSchema,
});

/** The JSON text of a constitution file (2-space indented, fixed key order). */
export function constitutionToJson(content: ConstitutionContent, sourceVersion?: number): string {
  const file = {
    format: CONSTITUTION_FILE_FORMAT,
    version: CONSTITUTION_FILE_VERSION,
    ...(sourceVersion !== undefined ? { sourceVersion } : {}),
    constitution: canonicalContent(content),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** A problem found while reading a constitution file. */
export class ConstitutionFileError extends Error {
  override name = "ConstitutionFileError";
  constructor(
    message: string,
    /** JSON path of the field at fault ("constitution.principles.2.name"), or "" for the whole file. */
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * Reads a constitution file. Also accepts a bare `{name, description, principles}`
 * object, so hand-written files work. Throws ConstitutionFileError naming the field.
 */
export function constitutionFromJson(text: string): ConstitutionContent {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConstitutionFileError(`Not JSON: ${(err as Error).message}`, "");
  }
  const bare = !!data && typeof data === "object" && !("format" in data);
  const parsed = bare ? constitutionContentSchema.safeParse(data) : constitutionFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join(".");
    throw new ConstitutionFileError(`${path || "(file)"}: ${issue.message}`, path);
  }
  return bare ? (parsed.data as ConstitutionContent) : (parsed.data as z.output<typeof constitutionFileSchema>).constitution;
}

/** Validates and normalises content people typed (trims, fills defaults); throws a ZodError naming the field. */
export function parseConstitutionContent(input: ConstitutionContentInput): ConstitutionContent {
  return constitutionContentSchema.parse(input);
}

/** The content with keys in a fixed order (exports and fingerprints). */
export function canonicalContent(c: ConstitutionContent): ConstitutionContent {
  return {
    name: c.name,
    description: c.description,
    principles: c.principles.map((p) => ({ id: p.id, name: p.name, critiqueRequest: p.critiqueRequest, revisionRequest: p.revisionRequest })),
  };
}

/** Equal fingerprints = same content: a save with the same fingerprint as the newest version adds no version. */
export function contentFingerprint(c: ConstitutionContent): string {
  return JSON.stringify(canonicalContent(c));
}

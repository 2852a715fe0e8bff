/**
 * One fingerprint for an entry's content, whichever side it comes from: a file read by the
 * importer (fields it leaves out take the API's defaults) or an entry the API returned. Equal
 * fingerprints mean the file and the service hold the same entry.
 */
import { createHash } from "node:crypto";
import { createEntrySchema } from "../domain/entry-input.js";
import type { ImportEntry } from "../import/to-entry.js";
import type { Entry } from "../shared/api-types.js";

/** The content of an entry as both sides see it, defaults applied. */
export interface EntryContent {
  title: string;
  body: string;
  summary: string;
  entry_type: string;
  tags: string[];
  importance: number;
  metadata: Record<string, unknown>;
}

/** A file's entry with the API's defaults filled in, exactly as the API would store it. */
export function contentOfImport(entry: ImportEntry): EntryContent {
  const parsed = createEntrySchema.safeParse({ kb: "x", ...entry });
  const e = parsed.success ? parsed.data : { ...entry };
  return {
    title: e.title,
    body: e.body,
    summary: e.summary ?? "",
    entry_type: e.entry_type ?? "note",
    tags: e.tags ?? [],
    importance: e.importance ?? 5,
    metadata: e.metadata,
  };
}

/** An API entry's content. */
export function contentOfEntry(entry: Entry): EntryContent {
  const { title, body, summary, entry_type, tags, importance, metadata } = entry;
  return { title, body, summary, entry_type, tags, importance, metadata };
}

/** sha256 of the content as canonical JSON (object keys sorted at every level). */
export function fingerprint(content: EntryContent): string {
  return createHash("sha256").update(canonicalJson(content)).digest("hex").slice(0, 32);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort();
    const parts = keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(Reflect.get(value, k))}`);
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * One entry → one pyrite markdown file: YAML frontmatter with every field (pyrite's own first,
 * then the metadata fields at the top level, as pyrite writes them) and the body as stored.
 * Reading the file back with the importer gives the same entry: same id, title, body, summary,
 * type, tags, importance and metadata.
 */
import { stringify } from "yaml";
import type { Entry } from "../shared/api-types.js";

/** The entry fields a file holds (an API entry has them all). */
export type EntryFileFields = Pick<
  Entry,
  "id" | "title" | "body" | "summary" | "entry_type" | "tags" | "importance" | "metadata"
>;

/** Frontmatter keys the importer reads as entry fields, never as metadata. */
const RESERVED = new Set(["id", "title", "type", "tags", "importance", "summary", "metadata"]);

/** The file's text. */
export function entryToMarkdown(entry: EntryFileFields): string {
  const front: Record<string, unknown> = {
    id: entry.id,
    title: entry.title,
    type: entry.entry_type,
  };
  if (entry.summary !== "") front.summary = entry.summary;
  front.tags = entry.tags;
  front.importance = entry.importance;
  // A metadata field named like an entry field can't sit at the top level: it goes under the
  // nested `metadata:` mapping, which the importer lifts back into metadata. So does
  // `metadata.metadata`, which the importer made from nested values that disagreed.
  const nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry.metadata)) {
    if (key === "metadata") continue;
    define(RESERVED.has(key) ? nested : front, key, value);
  }
  const inner = entry.metadata.metadata;
  if (inner !== undefined) {
    if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
      for (const [key, value] of Object.entries(inner)) define(nested, key, value);
    } else {
      front.metadata = inner;
    }
  }
  if (Object.keys(nested).length > 0) front.metadata = nested;
  // YAML 1.1, as pyrite's PyYAML reads it: strings that 1.1 would take for something else
  // (`yes`, `2024-01-05`, `012`) are quoted, so they come back as the strings they were.
  const yaml = stringify(front, { version: "1.1", lineWidth: 0, indentSeq: false });
  return entry.body === "" ? `---\n${yaml}---\n` : `---\n${yaml}---\n\n${entry.body}\n`;
}

/** Sets an own property, so a `__proto__` key stays data. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

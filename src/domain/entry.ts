/** The entry as the API shows it, and its writable fields as stored. */
import type { Entry, EntryListItem } from "../shared/api-types";
import type { ListedRow } from "../storage/entries";
import type { EntryRow } from "../storage/schema";
import type { EntryFields } from "./entry-input";
import { entryEtag } from "./etag";

/** An entry in API form: snake_case, JSON fields decoded, KB named `kb_name`. */
export type { Entry };

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Maps a stored row to its API form. */
export function toEntry(row: EntryRow): Entry {
  return {
    kb_name: row.kbName,
    id: row.id,
    entry_type: row.entryType,
    title: row.title,
    body: row.body,
    summary: row.summary,
    tags: parseJson<string[]>(row.tags, []),
    importance: row.importance,
    metadata: parseJson<Record<string, unknown>>(row.metadata, {}),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    content_hash: row.contentHash,
    version: row.version,
    etag: entryEtag(row),
  };
}

/** Maps a listed row (an excerpt, the body only if asked for) to its API form. */
export function toListItem(row: ListedRow): EntryListItem {
  const { body, excerpt, ...rest } = row;
  const { body: _none, ...entry } = toEntry({ ...rest, body: "" });
  return body === undefined ? { ...entry, excerpt } : { ...entry, excerpt, body };
}

/** An entry's writable fields as stored columns (JSON fields encoded). */
export function toRowFields(fields: EntryFields) {
  return {
    entryType: fields.entry_type,
    title: fields.title,
    body: fields.body,
    summary: fields.summary,
    tags: JSON.stringify(fields.tags),
    importance: fields.importance,
    metadata: JSON.stringify(fields.metadata),
  };
}

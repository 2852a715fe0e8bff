/** Reads of committed passages (`entry_passages`), for search results. */
import { sql } from "drizzle-orm";
import type { Db } from "./db";
import { readByKeys } from "./entry-keys";

/** A passage's key: its entry, the model of its set, and its place in the set. */
export interface PassageKey {
  kbName: string;
  entryId: string;
  model: string;
  seq: number;
}

/** Where a committed passage is in its entry's body, and its text. */
export interface PassageSpan extends PassageKey {
  headingPath: string[];
  start: number;
  end: number;
  /**
   * `body.slice(start, end)`, or null when the entry's text changed since its set was split
   * (spans hold only for the text they were split from).
   */
  text: string | null;
}

function headings(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** The committed passages among `keys` (keys without one are simply absent). */
export function getPassageSpans(db: Db, keys: PassageKey[]): Promise<PassageSpan[]> {
  const read = async (chunk: PassageKey[]) => {
    const values = sql.join(
      chunk.map((k) => sql`(${k.kbName}, ${k.entryId}, ${k.model}, ${k.seq})`),
      sql`, `,
    );
    // A subquery over VALUES: one primary-key seek per key on every SQLite (see entry-keys.ts).
    // The body is read only up to the passage's end: spans are UTF-16 offsets and SQLite's
    // substr counts code points, so the first `end` code points always cover [start, end).
    const rows = await db.all<{
      kb_name: string;
      entry_id: string;
      model: string;
      seq: number;
      heading_path: string;
      start: number;
      end: number;
      prefix: string | null;
    }>(sql`
      SELECT p.kb_name, p.entry_id, p.model, p.seq, p.heading_path, p.start, p.end,
             CASE WHEN e.content_hash = h.content_hash THEN substr(e.body, 1, p.end) END AS prefix
        FROM entry_passages p
        JOIN entry_embeddings h ON h.kb_name = p.kb_name AND h.entry_id = p.entry_id
                               AND h.model = p.model
        JOIN entries e ON e.kb_name = p.kb_name AND e.id = p.entry_id
       WHERE (p.kb_name, p.entry_id, p.model, p.seq) IN
             (SELECT column1, column2, column3, column4 FROM (VALUES ${values}))`);
    return rows.map(
      (r): PassageSpan => ({
        kbName: r.kb_name,
        entryId: r.entry_id,
        model: r.model,
        seq: r.seq,
        headingPath: headings(r.heading_path),
        start: r.start,
        end: r.end,
        text: r.prefix === null ? null : r.prefix.slice(r.start, r.end),
      }),
    );
  };
  return readByKeys(keys, read, 4);
}

/**
 * The invariants every chaos scenario must leave behind, read straight from D1 (and the status
 * endpoint, which must agree with it). `always` ones hold at every quiet moment, even mid-run;
 * `drained` ones hold once the queue has been driven to the end.
 */
import { env } from "cloudflare:workers";
import { entryKey } from "../../../src/storage/entry-keys";
import { decodeVector } from "../../../src/storage/vector-codec";
import { appFetch } from "../app-fetch";

/** EMBED_MAX_ATTEMPTS in vitest.config.ts. */
export const MAX_ATTEMPTS = 3;
/** Dimensions of the test embedder's (hash) vectors. */
export const DIMS = 384;

type Key = { kb_name: string; entry_id: string };

async function rows<T>(query: string, ...params: string[]): Promise<T[]> {
  const { results } = await env.DB.prepare(query)
    .bind(...params)
    .all<T>();
  return results;
}

const keyOf = (r: Key) => `${r.kb_name}/${r.entry_id}`;

/**
 * Violations of what must hold at every quiet moment, mid-run included: everywhere, or in one KB
 * (so one broken run does not fail the runs after it).
 */
export async function alwaysViolations(kb?: string): Promise<string[]> {
  const problems: string[] = [];
  // `?1` is bound to the KB; without one the condition always holds.
  const params = kb === undefined ? [] : [kb];
  const inKb = (alias: string) => (kb === undefined ? "1 = 1" : `${alias}.kb_name = ?1`);
  const orphanRows = await rows<Key>(
    `
    SELECT q.kb_name, q.entry_id FROM embed_queue q
      LEFT JOIN entries e ON e.kb_name = q.kb_name AND e.id = q.entry_id
     WHERE e.id IS NULL AND ${inKb("q")}`,
    ...params,
  );
  for (const r of orphanRows) problems.push(`queue row without an entry: ${keyOf(r)}`);

  const orphanVectors = await rows<Key>(
    `
    SELECT v.kb_name, v.entry_id FROM (
      SELECT kb_name, entry_id FROM entry_embeddings
      UNION SELECT kb_name, entry_id FROM entry_passages
      UNION SELECT kb_name, entry_id FROM passage_vectors) v
      LEFT JOIN entries e ON e.kb_name = v.kb_name AND e.id = v.entry_id
     WHERE e.id IS NULL AND ${inKb("v")}`,
    ...params,
  );
  for (const r of orphanVectors) problems.push(`vector of a deleted entry: ${keyOf(r)}`);

  // A done row promises a vector of exactly the entry's current text.
  const badDone = await rows<Key & { queued: string; current: string; vector: string | null }>(
    `
    SELECT q.kb_name, q.entry_id, q.content_hash AS queued, e.content_hash AS current,
           v.content_hash AS vector
      FROM embed_queue q
      JOIN entries e ON e.kb_name = q.kb_name AND e.id = q.entry_id
      LEFT JOIN entry_embeddings v ON v.kb_name = q.kb_name AND v.entry_id = q.entry_id
     WHERE q.status = 'done' AND ${inKb("q")}
       AND (v.content_hash IS NULL OR v.content_hash <> e.content_hash
            OR q.content_hash <> e.content_hash)`,
    ...params,
  );
  for (const r of badDone) {
    problems.push(
      `done row without a current vector: ${keyOf(r)} (entry ${r.current.slice(0, 8)}, ` +
        `row ${r.queued.slice(0, 8)}, vector ${r.vector?.slice(0, 8) ?? "none"})`,
    );
  }

  const badFailed = await rows<Key & { attempts: number; error: string | null }>(
    `
    SELECT kb_name, entry_id, attempts, error FROM embed_queue q
     WHERE status = 'failed' AND (attempts <> ${MAX_ATTEMPTS} OR coalesce(error, '') = '')
       AND ${inKb("q")}`,
    ...params,
  );
  for (const r of badFailed) {
    problems.push(`failed row with attempts ${r.attempts}, error ${r.error}: ${keyOf(r)}`);
  }

  const badAttempts = await rows<Key & { status: string; attempts: number }>(
    `
    SELECT kb_name, entry_id, status, attempts FROM embed_queue q
     WHERE (attempts > ${MAX_ATTEMPTS} OR attempts < 0
            OR (status = 'pending' AND attempts >= ${MAX_ATTEMPTS})
            OR status NOT IN ('pending', 'processing', 'done', 'failed'))
       AND ${inKb("q")}`,
    ...params,
  );
  for (const r of badAttempts) {
    problems.push(`row ${r.status} with attempts ${r.attempts}: ${keyOf(r)}`);
  }

  // A committed passage set is whole: as many passages as its header says, each with a vector.
  const partialSets = await rows<Key & { said: number; listed: number }>(
    `
    SELECT v.kb_name, v.entry_id, v.passages AS said,
           (SELECT count(*) FROM entry_passages p
              JOIN passage_vectors pv ON pv.kb_name = p.kb_name AND pv.entry_id = p.entry_id
                                     AND pv.model = p.model AND pv.hash = p.hash
             WHERE p.kb_name = v.kb_name AND p.entry_id = v.entry_id AND p.model = v.model) AS listed
      FROM entry_embeddings v WHERE ${inKb("v")} AND listed <> said`,
    ...params,
  );
  for (const r of partialSets) {
    problems.push(`passage set of ${r.listed} passages, header says ${r.said}: ${keyOf(r)}`);
  }

  const vectors = await rows<Key & { dims: number; vector: ArrayBuffer | number[] }>(
    `SELECT kb_name, entry_id, dims, vector FROM passage_vectors v WHERE ${inKb("v")}`,
    ...params,
  );
  for (const v of vectors) {
    const decoded = decodeVector(v.vector);
    if (v.dims !== DIMS || decoded.length !== DIMS) {
      problems.push(`vector of ${v.dims} dims (${decoded.length} stored): ${keyOf(v)}`);
    }
    if (!decoded.every(Number.isFinite)) problems.push(`non-finite vector: ${keyOf(v)}`);
  }
  return problems;
}

/** Violations of what must hold once the queue has been drained. */
export async function drainedViolations(): Promise<string[]> {
  const problems = await alwaysViolations();
  const unfinished = await rows<Key & { status: string }>(
    "SELECT kb_name, entry_id, status FROM embed_queue WHERE status NOT IN ('done', 'failed')",
  );
  for (const r of unfinished) problems.push(`row left ${r.status}: ${keyOf(r)}`);

  const unqueued = await rows<Key>(`
    SELECT e.kb_name, e.id AS entry_id FROM entries e
      LEFT JOIN embed_queue q ON q.kb_name = e.kb_name AND q.entry_id = e.id
     WHERE q.entry_id IS NULL`);
  for (const r of unqueued) problems.push(`entry without a queue row: ${keyOf(r)}`);

  const status = (await (await appFetch("/api/index/embed-status")).json()) as Record<
    "entries" | "embedded" | "pending" | "processing" | "failed" | "missing" | "stale",
    number
  >;
  const sum = status.embedded + status.pending + status.processing + status.failed;
  if (status.entries !== sum + status.missing) {
    problems.push(
      `status does not reconcile: entries ${status.entries} ≠ embedded ${status.embedded} + ` +
        `pending ${status.pending} + processing ${status.processing} + failed ${status.failed} + ` +
        `missing ${status.missing}`,
    );
  }
  if (status.missing !== 0) problems.push(`status reports ${status.missing} missing`);
  const [counted] = await rows<{ entries: number; done: number; failed: number; stale: number }>(`
    SELECT (SELECT count(*) FROM entries) AS entries,
           (SELECT count(*) FROM embed_queue WHERE status = 'done') AS done,
           (SELECT count(*) FROM embed_queue WHERE status = 'failed') AS failed,
           (SELECT count(*) FROM entry_embeddings v JOIN entries e
               ON e.kb_name = v.kb_name AND e.id = v.entry_id
             WHERE v.content_hash <> e.content_hash) AS stale`);
  const expected = {
    entries: counted?.entries,
    embedded: counted?.done,
    failed: counted?.failed,
    stale: counted?.stale,
  };
  const reported = {
    entries: status.entries,
    embedded: status.embedded,
    failed: status.failed,
    stale: status.stale,
  };
  if (JSON.stringify(expected) !== JSON.stringify(reported)) {
    problems.push(
      `status ${JSON.stringify(reported)} disagrees with D1 ${JSON.stringify(expected)}`,
    );
  }
  return problems;
}

/** An entry's fields as the chaos model tracks them. */
export interface StoredEntry {
  title: string;
  body: string;
  tags: string[];
  importance: number;
  hash: string;
  version: number;
}

/** The entries of some KBs by `entryKey`, to compare with what the writes said. */
export async function storedEntries(kbs: readonly string[]): Promise<Map<string, StoredEntry>> {
  const list = kbs.map((kb) => `'${kb.replace(/'/g, "''")}'`).join(", ");
  const found = await rows<
    Key & Omit<StoredEntry, "tags" | "hash"> & { tags: string; content_hash: string }
  >(
    `SELECT kb_name, id AS entry_id, title, body, tags, importance, content_hash, version
       FROM entries WHERE kb_name IN (${list})`,
  );
  return new Map(
    found.map((r) => [
      entryKey(r.kb_name, r.entry_id),
      {
        title: r.title,
        body: r.body,
        tags: JSON.parse(r.tags) as string[],
        importance: r.importance,
        hash: r.content_hash,
        version: r.version,
      },
    ]),
  );
}

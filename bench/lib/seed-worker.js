/**
 * A helper worker the bench runs on its own Miniflare, bound to the server's D1 database while the
 * server is stopped (see d1-direct.ts). `POST /vectors` takes a binary body: a 4-byte
 * little-endian length, that many bytes of JSON `{kb, ids, model, dims, base, passages}`, then
 * `ids.length × passages × dims` float32 little-endian values (each entry's passages in seq
 * order). It stores them as each entry's passage set (`passages` passages, default 1, with the
 * entry's current content hash) and marks the entry's queue row done with the model, in one D1
 * batch. Runs inside workerd so the rows never cross the Node ↔ workerd proxy one by one.
 *
 * `POST /time` `{sql, params, runs}` runs one query `runs` times and answers its plan and each
 * run's milliseconds, measured here (the clock advances across D1 calls), for profiling.
 */

/**
 * Passage rows travel as JSON `[[id, seq, hex, ordinal], ...]` (the ordinal is the entry's
 * place in the request: its set's embedding time), entry rows as `[[id], ...]` (one statement per chunk instead of one per row; SQLite
 * re-copies a bound BLOB on every reference, so slicing one big BLOB per row is slower). CROSS
 * JOIN keeps json_each as the outer loop, so each row is one primary-key lookup; `WHERE true`
 * resolves SQLite's INSERT…SELECT…ON CONFLICT parse ambiguity.
 */
const INSERT_VECTORS = `
  INSERT INTO passage_vectors (kb_name, entry_id, model, hash, dims, vector, truncated, created_at)
  SELECT e.kb_name, e.id, ?1, 'seed:' || e.content_hash || ':' || (j.value ->> 1), ?2,
         unhex(j.value ->> 2), 0, ?3 + (j.value ->> 3)
    FROM json_each(?4) AS j CROSS JOIN entries AS e ON e.kb_name = ?5 AND e.id = j.value ->> 0
   WHERE true
  ON CONFLICT DO UPDATE SET vector = excluded.vector, created_at = excluded.created_at`;
const INSERT_PASSAGES = `
  INSERT INTO entry_passages (kb_name, entry_id, seq, model, hash, heading_path, start, end, embedded_at)
  SELECT e.kb_name, e.id, j.value ->> 1, ?1, 'seed:' || e.content_hash || ':' || (j.value ->> 1),
         '[]', 0, length(e.body), ?2 + (j.value ->> 3)
    FROM json_each(?3) AS j CROSS JOIN entries AS e ON e.kb_name = ?4 AND e.id = j.value ->> 0
   WHERE true
  ON CONFLICT DO UPDATE SET hash = excluded.hash, end = excluded.end,
    embedded_at = excluded.embedded_at`;
const INSERT = `
  INSERT INTO entry_embeddings
    (kb_name, entry_id, model, dims, content_hash, embedded_at, truncated, passages)
  SELECT e.kb_name, e.id, ?1, ?2, e.content_hash, ?3 + j.key, 0, ?6
    FROM json_each(?4) AS j CROSS JOIN entries AS e ON e.kb_name = ?5 AND e.id = j.value ->> 0
   WHERE true
  ON CONFLICT (kb_name, entry_id, model) DO UPDATE SET
    dims = excluded.dims, content_hash = excluded.content_hash,
    embedded_at = excluded.embedded_at, truncated = 0, passages = excluded.passages
  RETURNING entry_id`;

const MARK_DONE = `
  UPDATE embed_queue SET status = 'done', model = ?1, attempts = 1, error = NULL,
         lease_until = NULL, updated_at = ?2
   WHERE kb_name = ?3 AND entry_id IN (SELECT value FROM json_each(?4))`;

/** Rows per INSERT: keeps the JSON parameter under SQLite's 1 MB length limit in workerd. */
const ROWS_PER_STATEMENT = 250;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** @param {Uint8Array} bytes */
function hex(bytes) {
  let out = "";
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/**
 * @param {Request} request
 * @param {{ DB: D1Database }} env
 */
async function time(request, env) {
  const { sql, params, runs } = await request.json();
  const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all();
  const ms = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const started = Date.now();
    const result = await env.DB.prepare(sql)
      .bind(...params)
      .all();
    ms.push(Date.now() - started);
    rows = result.results.length;
  }
  return Response.json({ plan: plan.results.map((r) => r.detail), ms, rows });
}

export default {
  /**
   * @param {Request} request
   * @param {{ DB: D1Database }} env
   */
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/time") return time(request, env);
    if (request.method !== "POST" || url.pathname !== "/vectors") {
      return new Response("not found", { status: 404 });
    }
    const body = new Uint8Array(await request.arrayBuffer());
    const length = new DataView(body.buffer).getUint32(0, true);
    const meta = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + length)));
    const bytesPerVector = meta.dims * 4;
    const passages = meta.passages ?? 1;
    const start = 4 + length;
    if (body.byteLength !== start + meta.ids.length * passages * bytesPerVector) {
      return new Response("body size does not match ids × passages × dims", { status: 400 });
    }
    const statements = [];
    const headers = [];
    const rows = [];
    meta.ids.forEach((id, ordinal) => {
      for (let seq = 0; seq < passages; seq++) {
        const offset = start + (ordinal * passages + seq) * bytesPerVector;
        rows.push([id, seq, hex(body.subarray(offset, offset + bytesPerVector)), ordinal]);
      }
    });
    for (let first = 0; first < rows.length; first += ROWS_PER_STATEMENT) {
      const json = JSON.stringify(rows.slice(first, first + ROWS_PER_STATEMENT));
      statements.push(
        env.DB.prepare(INSERT_VECTORS).bind(meta.model, meta.dims, meta.base, json, meta.kb),
        env.DB.prepare(INSERT_PASSAGES).bind(meta.model, meta.base, json, meta.kb),
      );
    }
    for (let first = 0; first < meta.ids.length; first += ROWS_PER_STATEMENT) {
      const entries = meta.ids.slice(first, first + ROWS_PER_STATEMENT).map((id) => [id]);
      headers.push(
        env.DB.prepare(INSERT).bind(
          meta.model,
          meta.dims,
          meta.base + first,
          JSON.stringify(entries),
          meta.kb,
          passages,
        ),
      );
    }
    statements.push(
      ...headers,
      env.DB.prepare(MARK_DONE).bind(meta.model, meta.base, meta.kb, JSON.stringify(meta.ids)),
    );
    const results = await env.DB.batch(statements);
    let written = 0;
    // Rows returned, not meta.changes: D1's count includes what the status-count triggers write.
    for (const result of results.slice(-1 - headers.length, -1)) written += result.results.length;
    return Response.json({ written });
  },
};

/**
 * Queries on `index_models`, the index's models: which one serves search, which is a migration's
 * target, which are kept for rollback (migration 0007). A switch of the serving model is one D1
 * batch (atomic): the roles, the serving queue's rows and the target's shadow rows change
 * together, or none does.
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, runAtomic } from "./db";
import type { EmbedSource } from "./queue-claim";
import { type IndexModelRow, indexModels } from "./schema";

/** The index's models by role. */
export interface IndexModels {
  serving: IndexModelRow | undefined;
  target: IndexModelRow | undefined;
  /** Kept sets, the most recently retired first (what a rollback returns to). */
  kept: IndexModelRow[];
}

/** Reads every model row. */
export async function readIndexModels(db: Db): Promise<IndexModels> {
  const rows = await db.select().from(indexModels);
  const kept = rows
    .filter((r) => r.role === "kept")
    .sort((a, b) => (b.retiredAt ?? -1) - (a.retiredAt ?? -1));
  return {
    serving: rows.find((r) => r.role === "serving"),
    target: rows.find((r) => r.role === "target"),
    kept,
  };
}

/**
 * Records `model` as serving when no model does (a fresh index, whose first model is the one the
 * server started with). Does nothing when a model serves.
 */
export async function ensureServing(db: Db, model: string, now: number): Promise<void> {
  await db.run(sql`
    INSERT INTO index_models (model, role, switch_at, since, retired_at)
    SELECT ${model}, 'serving', 1, ${now}, NULL
     WHERE NOT EXISTS (SELECT 1 FROM index_models WHERE role = 'serving')
    ON CONFLICT (model) DO UPDATE SET role = 'serving', since = excluded.since
     WHERE NOT EXISTS (SELECT 1 FROM index_models WHERE role = 'serving')`);
}

/** The entry holds a committed set of `model` for its current text. */
function currentSet(model: string, kb: SQL, id: SQL): SQL {
  return sql`EXISTS (SELECT 1 FROM entry_embeddings h JOIN entries e
                        ON e.kb_name = h.kb_name AND e.id = h.entry_id
                     WHERE h.kb_name = ${kb} AND h.entry_id = ${id} AND h.model = ${model}
                       AND h.content_hash = e.content_hash)`;
}

/**
 * Makes `model` the migration target (from scratch, or again if it is kept) and queues every entry
 * without a current set of it in the shadow queue, in one batch; the serving model must already be
 * recorded (`ensureServing`). Returns how many entries were queued.
 */
export async function startMigration(
  db: Db,
  opts: { model: string; switchAt: number; now: number },
): Promise<number> {
  const { model, now } = opts;
  const [, queued] = await runAtomic(db, [
    sql`
      INSERT INTO index_models (model, role, switch_at, since, retired_at)
      VALUES (${model}, 'target', ${opts.switchAt}, ${now}, NULL)
      ON CONFLICT (model) DO UPDATE SET role = 'target', switch_at = excluded.switch_at,
                                        since = excluded.since`,
    sql`
      INSERT INTO shadow_queue (kb_name, entry_id, model, queued_at, status, attempts, error,
                                next_attempt_at, lease_until, content_hash, updated_at)
      SELECT e.kb_name, e.id, ${model}, ${now}, 'pending', 0, NULL, ${now}, NULL,
             e.content_hash, ${now}
        FROM entries e
       WHERE NOT ${currentSet(model, sql`e.kb_name`, sql`e.id`)}
      ON CONFLICT DO NOTHING`,
  ]);
  // `shadow_queue` has no triggers, so `changes` counts exactly the rows queued.
  return queued?.meta.changes ?? 0;
}

/** Changes the target's switch coverage. */
export async function setSwitchAt(db: Db, model: string, switchAt: number): Promise<void> {
  await db.run(sql`
    UPDATE index_models SET switch_at = ${switchAt} WHERE model = ${model} AND role = 'target'`);
}

/**
 * The statements that make `model` (the target, or a kept set) serve, as one batch. The serving
 * model is kept (for rollback); every serving-queue row becomes `done` where the entry has a
 * current set of `model`, and pending otherwise (a claim in progress loses its lease, so a late
 * result of the old model never marks a row done); `model`'s shadow rows go. Each statement after
 * the first two takes effect only if the switch did (same guard), so the batch is all or nothing.
 */
function switchStatements(model: string, now: number): SQL[] {
  const switched = sql`EXISTS (SELECT 1 FROM index_models
                                WHERE model = ${model} AND role = 'serving' AND since = ${now})`;
  const current = currentSet(model, sql`embed_queue.kb_name`, sql`embed_queue.entry_id`);
  return [
    sql`
      UPDATE index_models SET role = 'kept', retired_at = ${now}
       WHERE role = 'serving' AND model <> ${model}
         AND EXISTS (SELECT 1 FROM index_models WHERE model = ${model} AND role <> 'serving')`,
    sql`
      UPDATE index_models SET role = 'serving', since = ${now}
       WHERE model = ${model} AND role <> 'serving'
         AND NOT EXISTS (SELECT 1 FROM index_models WHERE role = 'serving')`,
    sql`
      UPDATE embed_queue
         SET status = 'done', model = ${model}, error = NULL, lease_until = NULL,
             updated_at = ${now}
       WHERE ${switched} AND ${current}
         AND (status <> 'done' OR model IS NOT ${model})`,
    sql`
      UPDATE embed_queue
         SET status = 'pending', attempts = 0, error = NULL, next_attempt_at = ${now},
             lease_until = NULL, model = NULL, updated_at = ${now}
       WHERE ${switched} AND NOT ${current}
         AND NOT (status = 'pending' AND attempts = 0)
      RETURNING entry_id`,
    sql`DELETE FROM shadow_queue WHERE model = ${model} AND ${switched}`,
  ];
}

/** What a switch did. */
export interface SwitchResult {
  switched: boolean;
  /** Serving-queue rows put back to pending: entries `model` does not cover. */
  requeued: number;
}

/** Makes `model` serve (see `switchStatements`); `switched` is false if it could not. */
export async function switchServing(db: Db, model: string, now: number): Promise<SwitchResult> {
  const results = await runAtomic(db, switchStatements(model, now));
  // Rows, not `meta.changes`: D1 counts the changes its triggers made too.
  return {
    switched: (results[1]?.meta.changes ?? 0) > 0,
    requeued: results[3]?.results.length ?? 0,
  };
}

/**
 * Ends a running migration without switching: the target becomes a kept set (its vectors so far
 * stay, for a later migration to reuse) and its shadow rows go.
 */
function cancelMigrationStatements(): SQL[] {
  return [
    sql`DELETE FROM shadow_queue
         WHERE model IN (SELECT model FROM index_models WHERE role = 'target')`,
    sql`UPDATE index_models SET role = 'kept' WHERE role = 'target'`,
  ];
}

/**
 * Rolls back to the most recently retired kept set: any running migration is cancelled, then
 * `model` serves (`switchStatements`), all in one batch.
 */
export async function rollbackTo(db: Db, model: string, now: number): Promise<SwitchResult> {
  const cancel = cancelMigrationStatements();
  const results = await runAtomic(db, [...cancel, ...switchStatements(model, now)]);
  return {
    switched: (results[cancel.length + 1]?.meta.changes ?? 0) > 0,
    requeued: results[cancel.length + 3]?.results.length ?? 0,
  };
}

/**
 * Frees every set of `model` (which must not serve: then nothing changes) and forgets it, in one
 * batch. Returns how many entries' sets were freed.
 */
export async function dropModel(db: Db, model: string): Promise<number> {
  const notServing = sql`NOT EXISTS (SELECT 1 FROM index_models
                                      WHERE model = ${model} AND role = 'serving')`;
  const results = await runAtomic(db, [
    sql`DELETE FROM shadow_queue WHERE model = ${model} AND ${notServing}`,
    sql`DELETE FROM entry_passages WHERE model = ${model} AND ${notServing}`,
    sql`DELETE FROM passage_vectors WHERE model = ${model} AND ${notServing}`,
    sql`DELETE FROM entry_embeddings WHERE model = ${model} AND ${notServing} RETURNING entry_id`,
    sql`DELETE FROM index_models WHERE model = ${model} AND role <> 'serving'`,
  ]);
  return results[3]?.results.length ?? 0;
}

/** Sets of `model` committed since `since` (a seek on `entry_embeddings_model_time`). */
export async function setsCommittedSince(db: Db, model: string, since: number): Promise<number> {
  const row = await db.get<{ n: number }>(sql`
    SELECT count(*) AS n FROM entry_embeddings WHERE model = ${model} AND embedded_at >= ${since}`);
  return Number(row?.n ?? 0);
}

/** The entries (of one KB, or all) without a current set of `model`: how many, and their bytes. */
export async function migrationWork(
  db: Db,
  model: string,
  kb: string | undefined,
): Promise<{ entries: number; bytes: number }> {
  const row = await db.get<{ n: number; bytes: number | null }>(sql`
    SELECT count(*) AS n,
           sum(octet_length(e.title) + octet_length(e.summary) + octet_length(e.body)) AS bytes
      FROM entries e
     WHERE NOT ${currentSet(model, sql`e.kb_name`, sql`e.id`)}
       ${kb === undefined ? sql`` : sql`AND e.kb_name = ${kb}`}`);
  return { entries: Number(row?.n ?? 0), bytes: Number(row?.bytes ?? 0) };
}

/** A random sample of up to `n` of those entries, with the text embedding reads. */
export function sampleMigrationWork(
  db: Db,
  model: string,
  kb: string | undefined,
  n: number,
): Promise<EmbedSource[]> {
  return db.all<EmbedSource>(sql`
    SELECT e.kb_name AS kbName, e.id AS id, e.title AS title, e.summary AS summary,
           e.body AS body, e.content_hash AS contentHash
      FROM entries e
     WHERE NOT ${currentSet(model, sql`e.kb_name`, sql`e.id`)}
       ${kb === undefined ? sql`` : sql`AND e.kb_name = ${kb}`}
     ORDER BY random() LIMIT ${n}`);
}

/**
 * The in-isolate index of one model's passage vectors: their 1-bit sign codes in memory
 * (`BinaryCodes`), so a query scans codes instead of re-reading every BLOB, and the best
 * candidates rescored exactly with their float32 vectors from D1. Before each query it catches up: the sets
 * that went away since its last sync (`vector_deletes`: deleted entries, entries re-embedded with
 * another model) are dropped, and the passages committed since its watermark are added, a newer
 * set of an entry replacing the older one whole. So a deleted entry stops being found at once,
 * and vectors written by the worker, by sync writes or by another isolate all become visible.
 *
 * A full load (the first, or after falling behind the kept delete records) fills a fresh store
 * and swaps it in only when complete: a query meanwhile searches the previous one, never an
 * empty or half-loaded index.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../storage/db";
import { decodeVectorHex } from "../storage/vector-codec";
import { getCommittedVectors } from "../storage/vector-reads";
import { BinaryCodes } from "./binary-codes";
import { rescore, rescoreDepth } from "./rescore";
import type { PassageHit } from "./vector-store";

const PAGE = 2000;

type PassageRow = {
  kb_name: string;
  entry_id: string;
  seq: number;
  vector: string;
  embedded_at: number;
};

export class VectorIndex {
  private store = new BinaryCodes();
  private loaded = false;
  /** Passages committed at or after this time are (re-)read on the next sync. */
  private watermark = -1;
  /** The last `vector_deletes` id applied. */
  private deletesSeen = 0;
  private syncing: Promise<void> | null = null;

  constructor(readonly model: string) {}

  /** Passages held. */
  get size(): number {
    return this.store.passages;
  }

  /** Bytes of the per-passage arrays (codes and keys), for the bench. */
  get bytes(): number {
    return this.store.bytes;
  }

  /** Entries with passages held, in one KB (or all). */
  countIn(kbName?: string): number {
    return this.store.entriesIn(kbName);
  }

  /**
   * The `k` nearest passages by cosine: the nearest candidates by sign code, rescored with their
   * float32 vectors from D1 (a passage replaced since the last sync is scored as it is now).
   */
  async search(db: Db, query: Float32Array, k: number, kbName?: string): Promise<PassageHit[]> {
    const candidates = this.store.candidates(query, rescoreDepth(k), kbName);
    if (candidates.length === 0) return [];
    return rescore(query, candidates, await getCommittedVectors(db, this.model, candidates), k);
  }

  /** Brings the index up to date with D1; concurrent callers share one sync. */
  async sync(db: Db): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.load(db).finally(() => {
        this.syncing = null;
      });
    }
    await this.syncing;
  }

  private async load(db: Db): Promise<void> {
    const bounds = await db.get<{ lo: number | null; hi: number | null }>(
      sql`SELECT min(id) AS lo, max(id) AS hi FROM vector_deletes`,
    );
    const lo = bounds?.lo ?? null;
    const hi = bounds?.hi ?? 0;
    // Records older than the ones kept were pruned: this index may have missed some of them.
    const missed = lo !== null && lo > this.deletesSeen + 1 && this.deletesSeen < hi;
    if (!this.loaded || missed) {
      const fresh = new BinaryCodes();
      // Deletes up to `hi` are already reflected in what the full read finds.
      const watermark = await this.readPassages(db, fresh, -1);
      this.store = fresh;
      this.watermark = watermark;
      this.deletesSeen = hi;
      this.loaded = true;
      return;
    }
    await this.readDeletes(db);
    this.watermark = await this.readPassages(db, this.store, this.watermark);
  }

  private async readDeletes(db: Db): Promise<void> {
    for (;;) {
      const rows = await db.all<{
        id: number;
        kb_name: string;
        entry_id: string;
        model: string;
        embedded_at: number;
      }>(sql`
        SELECT id, kb_name, entry_id, model, embedded_at FROM vector_deletes
         WHERE id > ${this.deletesSeen} ORDER BY id LIMIT ${PAGE}`);
      for (const row of rows) {
        if (row.model === this.model) this.store.drop(row.kb_name, row.entry_id, row.embedded_at);
        this.deletesSeen = row.id;
      }
      if (rows.length < PAGE) return;
    }
  }

  /** Reads passages committed at or after `from` into `store`; returns the new watermark. */
  private async readPassages(db: Db, store: BinaryCodes, from: number): Promise<number> {
    let watermark = from;
    // `>=` because several sets can share the watermark's millisecond; re-reading is harmless.
    for (;;) {
      // hex(): D1 turns a BLOB into an array of numbers, one per byte; text is far cheaper.
      const rows = await db.all<PassageRow>(sql`
        SELECT p.kb_name, p.entry_id, p.seq, hex(v.vector) AS vector, p.embedded_at
          FROM entry_passages p
          JOIN passage_vectors v ON v.kb_name = p.kb_name AND v.entry_id = p.entry_id
                                AND v.model = p.model AND v.hash = p.hash
         WHERE p.model = ${this.model} AND p.embedded_at >= ${watermark}
         ORDER BY p.embedded_at LIMIT ${PAGE}`);
      let advanced = false;
      for (const row of rows) {
        store.put(row.kb_name, row.entry_id, row.seq, row.embedded_at, decodeVectorHex(row.vector));
        if (row.embedded_at > watermark) {
          watermark = row.embedded_at;
          advanced = true;
        }
      }
      // A full page that did not move the watermark means one millisecond holds more than a page
      // of passages (one huge entry does): page through that millisecond by offset instead.
      if (rows.length < PAGE) return watermark;
      if (!advanced) {
        await this.readMillisecond(db, store, watermark);
        watermark += 1;
      }
    }
  }

  private async readMillisecond(db: Db, store: BinaryCodes, at: number): Promise<void> {
    for (let offset = 0; ; offset += PAGE) {
      const rows = await db.all<PassageRow>(sql`
        SELECT p.kb_name, p.entry_id, p.seq, hex(v.vector) AS vector, p.embedded_at
          FROM entry_passages p
          JOIN passage_vectors v ON v.kb_name = p.kb_name AND v.entry_id = p.entry_id
                                AND v.model = p.model AND v.hash = p.hash
         WHERE p.model = ${this.model} AND p.embedded_at = ${at}
         ORDER BY p.kb_name, p.entry_id, p.seq LIMIT ${PAGE} OFFSET ${offset}`);
      for (const row of rows) {
        store.put(row.kb_name, row.entry_id, row.seq, row.embedded_at, decodeVectorHex(row.vector));
      }
      if (rows.length < PAGE) return;
    }
  }
}

const indexes = new Map<string, VectorIndex>();

/** The isolate's index for a model (one per fingerprint). */
export function vectorIndexFor(model: string): VectorIndex {
  let index = indexes.get(model);
  if (!index) {
    index = new VectorIndex(model);
    indexes.set(model, index);
  }
  return index;
}

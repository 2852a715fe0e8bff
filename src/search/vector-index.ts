/**
 * An in-memory copy of the vectors of one model, kept in the isolate so semantic search does not
 * re-read and re-decode every BLOB per query. It catches up incrementally (rows embedded since its
 * watermark) before each query, so vectors written by the worker, by sync writes or by another
 * isolate all become visible; vectors of deleted entries linger until the next full reload, and
 * search drops them when it joins results to `entries`.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../storage/db";
import { decodeVectorHex } from "../storage/vector-codec";

/** One scored hit. */
export interface VectorHit {
  kbName: string;
  entryId: string;
  score: number;
}

/** Full reload at least this often, to shed vectors of deleted entries. */
const FULL_RELOAD_MS = 10 * 60_000;
const PAGE = 2000;

export class VectorIndex {
  private dims = 0;
  private count = 0;
  /**
   * Vectors quantized to int8 with one scale each: a quarter of float32's memory (100k × 384 is
   * 37 MiB rather than 147, inside a deployed isolate's 128 MB) for a cosine error near 1e-3.
   */
  private data = new Int8Array(0);
  private scales = new Float32Array(0);
  private kbOfSlot = new Int32Array(0);
  private keys: string[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly kbIds = new Map<string, number>();
  private readonly kbNames: string[] = [];
  private watermark = -1;
  private loadedAt = 0;
  private syncing: Promise<void> | null = null;

  constructor(readonly model: string) {}

  /** Vectors held (including any of since-deleted entries). */
  get size(): number {
    return this.count;
  }

  /** Brings the index up to date with D1; concurrent callers share one sync. */
  async sync(db: Db, now: number): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.load(db, now).finally(() => {
        this.syncing = null;
      });
    }
    await this.syncing;
  }

  /** Marks the index for a full reload on the next sync (e.g. after seeing deleted entries). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  private async load(db: Db, now: number): Promise<void> {
    if (now - this.loadedAt > FULL_RELOAD_MS) this.reset(now);
    // `>=` because several rows can share the watermark's millisecond; re-reading them is harmless.
    for (;;) {
      // hex(): D1 turns a BLOB into an array of numbers, one per byte; text is far cheaper.
      const rows = await db.all<{
        kb_name: string;
        entry_id: string;
        vector: string;
        embedded_at: number;
      }>(sql`
        SELECT kb_name, entry_id, hex(vector) AS vector, embedded_at FROM entry_embeddings
         WHERE model = ${this.model} AND embedded_at >= ${this.watermark}
         ORDER BY embedded_at LIMIT ${PAGE} OFFSET ${0}`);
      let advanced = false;
      for (const row of rows) {
        this.upsert(row.kb_name, row.entry_id, decodeVectorHex(row.vector));
        if (row.embedded_at > this.watermark) {
          this.watermark = row.embedded_at;
          advanced = true;
        }
      }
      // A full page that did not move the watermark means one millisecond holds more than a page
      // of rows: page through that millisecond by offset instead of looping forever.
      if (rows.length < PAGE) break;
      if (!advanced) {
        await this.loadMillisecond(db, this.watermark);
        this.watermark += 1;
      }
    }
  }

  private async loadMillisecond(db: Db, at: number): Promise<void> {
    for (let offset = 0; ; offset += PAGE) {
      const rows = await db.all<{ kb_name: string; entry_id: string; vector: string }>(sql`
        SELECT kb_name, entry_id, hex(vector) AS vector FROM entry_embeddings
         WHERE model = ${this.model} AND embedded_at = ${at}
         ORDER BY kb_name, entry_id LIMIT ${PAGE} OFFSET ${offset}`);
      for (const row of rows) this.upsert(row.kb_name, row.entry_id, decodeVectorHex(row.vector));
      if (rows.length < PAGE) return;
    }
  }

  private reset(now: number): void {
    this.count = 0;
    this.keys = [];
    this.slotOf.clear();
    this.watermark = -1;
    this.loadedAt = now;
  }

  private upsert(kbName: string, entryId: string, vector: Float32Array): void {
    if (this.dims === 0) this.dims = vector.length;
    if (vector.length !== this.dims) return;
    const key = `${kbName}\u0000${entryId}`;
    let slot = this.slotOf.get(key);
    if (slot === undefined) {
      slot = this.count++;
      this.grow(this.count);
      this.slotOf.set(key, slot);
      this.keys[slot] = key;
    }
    let kbId = this.kbIds.get(kbName);
    if (kbId === undefined) {
      kbId = this.kbNames.length;
      this.kbNames.push(kbName);
      this.kbIds.set(kbName, kbId);
    }
    this.kbOfSlot[slot] = kbId;
    let max = 0;
    for (const x of vector) max = Math.max(max, Math.abs(x));
    const scale = max === 0 ? 1 : max / 127;
    const base = slot * this.dims;
    for (let d = 0; d < this.dims; d++) {
      this.data[base + d] = Math.round((vector[d] as number) / scale);
    }
    this.scales[slot] = scale;
  }

  private grow(needed: number): void {
    if (needed * this.dims <= this.data.length) return;
    const capacity = Math.max(needed, Math.ceil(this.kbOfSlot.length * 1.5), 1024);
    const data = new Int8Array(capacity * this.dims);
    data.set(this.data);
    this.data = data;
    const scales = new Float32Array(capacity);
    scales.set(this.scales);
    this.scales = scales;
    const kbs = new Int32Array(capacity);
    kbs.set(this.kbOfSlot);
    this.kbOfSlot = kbs;
  }

  /** Vectors held for one KB (or all). */
  countIn(kbName?: string): number {
    if (kbName === undefined) return this.count;
    const kbId = this.kbIds.get(kbName);
    if (kbId === undefined) return 0;
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.kbOfSlot[i] === kbId) n++;
    return n;
  }

  /** The `k` nearest vectors by cosine (vectors are unit length, so by dot product). */
  search(query: Float32Array, k: number, kbName?: string): VectorHit[] {
    if (query.length !== this.dims || k <= 0) return [];
    const kbFilter = kbName === undefined ? -1 : (this.kbIds.get(kbName) ?? -2);
    if (kbFilter === -2) return [];
    const norm = Math.hypot(...query) || 1;
    const dims = this.dims;
    const data = this.data;
    // A small sorted buffer of the best k: k is at most a few hundred.
    const topScores = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
    const topSlots = new Int32Array(k).fill(-1);
    // Four running sums instead of one: a single sum makes every addition wait for the previous
    // one, four let the CPU overlap them (≈2× faster over 100k × 384 dimensions).
    const unrolled = dims - (dims % 4);
    for (let slot = 0; slot < this.count; slot++) {
      if (kbFilter >= 0 && this.kbOfSlot[slot] !== kbFilter) continue;
      const base = slot * dims;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let d = 0; d < unrolled; d += 4) {
        const at = base + d;
        s0 += (query[d] as number) * (data[at] as number);
        s1 += (query[d + 1] as number) * (data[at + 1] as number);
        s2 += (query[d + 2] as number) * (data[at + 2] as number);
        s3 += (query[d + 3] as number) * (data[at + 3] as number);
      }
      for (let d = unrolled; d < dims; d++) s0 += (query[d] as number) * (data[base + d] as number);
      const dot = (s0 + s1 + s2 + s3) * (this.scales[slot] as number);
      if (dot <= (topScores[k - 1] as number)) continue;
      let i = k - 1;
      while (i > 0 && (topScores[i - 1] as number) < dot) {
        topScores[i] = topScores[i - 1] as number;
        topSlots[i] = topSlots[i - 1] as number;
        i--;
      }
      topScores[i] = dot;
      topSlots[i] = slot;
    }
    const hits: VectorHit[] = [];
    for (let i = 0; i < k; i++) {
      const slot = topSlots[i] as number;
      if (slot < 0) break;
      const key = this.keys[slot] ?? "";
      const sep = key.indexOf("\u0000");
      hits.push({
        kbName: key.slice(0, sep),
        entryId: key.slice(sep + 1),
        score: (topScores[i] as number) / norm,
      });
    }
    return hits;
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

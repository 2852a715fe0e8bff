/**
 * The vector store on Cloudflare Vectorize (deployed, with a `VECTORIZE` binding): passage
 * vectors live in the index, with metadata `kb`, `model`, `entry` and `seq` (all four have
 * metadata indexes: see wrangler.toml), so a query filters by model and KB there. Every call
 * keeps to the documented limits: ≤ 1000 vectors per upsert and ids per delete from a Worker,
 * ids of 64 bytes (`passageId`), topK ≤ 100 with indexed metadata only.
 *
 * Mutations are applied asynchronously: an upsert answers with a `mutationId` and becomes
 * searchable later. The store remembers the last mutation it sent and `searchability` compares it
 * with the index's `processedUpToMutation`, so the status says "pending" rather than pretend.
 */
import type { Db } from "../storage/db";
import {
  countEntriesWithVectors,
  countPassages,
  getCommittedVectors,
} from "../storage/vector-reads";
import { passageId } from "./passage-id";
import type {
  CommittedSet,
  DeletedSet,
  PassageHit,
  Searchability,
  VectorQuery,
  VectorStore,
} from "./vector-store";
import { VECTORIZE_LIMITS } from "./vectorize-limits";

/** The part of the Vectorize (V2) binding this store uses. */
export type VectorizeApi = Pick<
  Vectorize,
  "describe" | "query" | "upsert" | "deleteByIds" | "getByIds"
>;

type Upsert = VectorizeVector;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const byteLength = (text: string) => new TextEncoder().encode(text).length;

/**
 * The last mutation this isolate sent, until the index reports it processed. Per isolate (the
 * store is built per request); another isolate's pending mutation shows in the counts instead.
 */
let lastMutation: string | null = null;

export class VectorizeStore implements VectorStore {
  readonly kind = "vectorize";

  constructor(
    private readonly db: Db,
    private readonly index: VectorizeApi,
  ) {}

  async commit(sets: CommittedSet[]): Promise<void> {
    const upserts: Upsert[] = [];
    const deletes: string[] = [];
    /** Passages to upsert whose vector the committer did not have: read from D1. */
    const unread: { kbName: string; entryId: string; seq: number; model: string }[] = [];
    for (const set of sets) {
      const previous = set.previous;
      // Every passage is sent, reused ones too: the id is the same, so the upsert replaces (a
      // retry after a refused upsert must send them all, and can't tell itself from an edit).
      for (const p of set.passages) {
        if (p.vector) upserts.push(await this.vector(set, p.seq, p.vector));
        else
          unread.push({ kbName: set.kbName, entryId: set.entryId, seq: p.seq, model: set.model });
      }
      if (previous) {
        // Places the new set no longer fills (or all of them, under another model).
        const from = previous.model === set.model ? set.passages.length : 0;
        for (let seq = from; seq < previous.passages; seq++) {
          deletes.push(await passageId(set.kbName, set.entryId, previous.model, seq));
        }
      }
    }
    for (const [model, keys] of groupBy(unread, (k) => k.model)) {
      for (const v of await getCommittedVectors(this.db, model, keys)) {
        upserts.push(
          await this.vector({ kbName: v.kbName, entryId: v.entryId, model }, v.seq, v.vector),
        );
      }
    }
    for (const batch of chunks(upserts, VECTORIZE_LIMITS.vectorsPerMutation)) {
      this.sent(await this.index.upsert(batch));
    }
    for (const batch of chunks(deletes, VECTORIZE_LIMITS.vectorsPerMutation)) {
      this.sent(await this.index.deleteByIds(batch));
    }
  }

  async deleteEntries(sets: DeletedSet[]): Promise<void> {
    const ids: string[] = [];
    for (const { kbName, entryId, previous } of sets) {
      for (let seq = 0; seq < previous.passages; seq++) {
        ids.push(await passageId(kbName, entryId, previous.model, seq));
      }
    }
    for (const batch of chunks(ids, VECTORIZE_LIMITS.vectorsPerMutation)) {
      this.sent(await this.index.deleteByIds(batch));
    }
  }

  async query(q: VectorQuery): Promise<PassageHit[]> {
    const filter: VectorizeVectorMetadataFilter = { model: q.model };
    if (q.kb !== undefined) filter.kb = q.kb;
    const { matches } = await this.index.query(Array.from(q.vector), {
      topK: Math.min(q.topK, VECTORIZE_LIMITS.topK),
      filter,
      returnValues: false,
      returnMetadata: "indexed",
    });
    // "indexed" returns strings cut at 64 bytes: an entry id that long may be cut, so its
    // complete metadata is fetched by id.
    const cut = matches.filter((m) => {
      const entry = m.metadata?.entry;
      return typeof entry !== "string" || byteLength(entry) >= VECTORIZE_LIMITS.indexedStringBytes;
    });
    const whole = new Map<string, Record<string, unknown>>();
    for (const ids of chunks(
      cut.map((m) => m.id),
      VECTORIZE_LIMITS.topKWithValuesOrAllMetadata,
    )) {
      for (const v of await this.index.getByIds(ids)) whole.set(v.id, v.metadata ?? {});
    }
    const hits: PassageHit[] = [];
    for (const m of matches) {
      const meta = whole.get(m.id) ?? m.metadata ?? {};
      const { kb, entry, seq } = meta;
      if (typeof kb !== "string" || typeof entry !== "string" || typeof seq !== "number") continue;
      hits.push({ kbName: kb, entryId: entry, seq, score: m.score });
    }
    return hits;
  }

  /** Vectorize cannot count by filter: the entries whose committed sets were sent to it. */
  entriesIn(model: string, kb?: string): Promise<number> {
    return countEntriesWithVectors(this.db, model, kb);
  }

  async prepare(): Promise<void> {}

  async searchability(): Promise<Searchability> {
    const [info, embedded] = await Promise.all([this.index.describe(), countPassages(this.db)]);
    // The V2 binding's type says number; the service sends the mutation's id (a string).
    if (lastMutation !== null && String(info.processedUpToMutation) === lastMutation) {
      lastMutation = null;
    }
    return {
      store: "vectorize",
      embedded,
      searchable: info.vectorCount,
      pending: lastMutation !== null || info.vectorCount !== embedded,
      pending_mutation: lastMutation,
    };
  }

  private sent(mutation: VectorizeAsyncMutation): void {
    lastMutation = mutation.mutationId;
  }

  private async vector(
    set: Pick<CommittedSet, "kbName" | "entryId" | "model">,
    seq: number,
    vector: Float32Array,
  ): Promise<Upsert> {
    return {
      id: await passageId(set.kbName, set.entryId, set.model, seq),
      values: Array.from(vector),
      metadata: { kb: set.kbName, entry: set.entryId, model: set.model, seq },
    };
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

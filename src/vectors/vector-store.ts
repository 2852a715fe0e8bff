/**
 * The vector store port: where committed passage vectors are searched. D1 stays the record
 * (`passage_vectors`, `entry_passages`); a store is an index over it that search queries and the
 * embedding commit keeps informed. Two implementations: the in-isolate binary index
 * (`isolate-store.ts`, local and small deployments) and Cloudflare Vectorize
 * (`vectorize-store.ts`, deployed with a `VECTORIZE` binding). `select-vector-store.ts` picks one.
 */
import type { EmbedStatus } from "../shared/api-types.js";

/** One scored passage of an entry's committed set. */
export interface PassageHit {
  kbName: string;
  entryId: string;
  seq: number;
  /** Cosine similarity to the query. */
  score: number;
}

/** A passage of a committed set: its place, its content address, and its vector when at hand. */
export interface SetPassage {
  seq: number;
  hash: string;
  /** The vector if the committer has it in memory (a store reads the others from D1). */
  vector?: Float32Array;
}

/** The committed set an entry had before, as the commit's own batch read it. */
export interface PreviousSet {
  model: string;
  /** Its passages (seq 0 to passages − 1). */
  passages: number;
}

/** An entry's passage set, committed in D1 (its header's upsert changed a row). */
export interface CommittedSet {
  kbName: string;
  entryId: string;
  model: string;
  embeddedAt: number;
  passages: SetPassage[];
  /** The set it replaced, or null when the entry had none. */
  previous: PreviousSet | null;
}

/** The committed set of a deleted entry, as its delete's batch read it. */
export interface DeletedSet {
  kbName: string;
  entryId: string;
  previous: PreviousSet;
}

/** A nearest-passages query. */
export interface VectorQuery {
  vector: Float32Array;
  /** Only vectors of this model fingerprint (`fingerprintKey`) are compared. */
  model: string;
  /** Only this KB's passages, when set. */
  kb?: string;
  topK: number;
}

/**
 * What can be searched now: D1's committed passages against what the store answers from, and
 * whether it is still catching up (the status's `vector_store`; see `EmbedStatus`).
 */
export type Searchability = NonNullable<EmbedStatus["vector_store"]>;

/** Where semantic search finds passages. */
export interface VectorStore {
  readonly kind: Searchability["store"];
  /**
   * Makes committed sets searchable, after their D1 commit: idempotent by passage id, so sending
   * a set twice (a retry, a reused passage) stores it once. Replaced passages the new set no
   * longer has are removed. Throws when the store refused; the caller re-queues the entries.
   */
  commit(sets: CommittedSet[]): Promise<void>;
  /** Removes a deleted entry's passages (after the delete's D1 commit). */
  deleteEntries(sets: DeletedSet[]): Promise<void>;
  /**
   * Catches up before a query, where the store needs to (the in-isolate index reads what D1
   * committed since its last sync). CPU-bound after a restart, so search awaits it before its
   * query embedding's deadline counts.
   */
  prepare(model: string): Promise<void>;
  /** The `topK` passages nearest the query, best first, scored by cosine. */
  query(q: VectorQuery): Promise<PassageHit[]>;
  /** Entries (in one KB, or all) with passages this store searches under `model`. */
  entriesIn(model: string, kb?: string): Promise<number>;
  /** What is searchable now under `model`, and whether the store is still catching up. */
  searchability(model: string): Promise<Searchability>;
}

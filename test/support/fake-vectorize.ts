/**
 * A fake Cloudflare Vectorize (V2) index, written from the documented Workers API and limits,
 * for tests and the workerd simulation bench (plain TypeScript, no Node APIs: it runs in workerd).
 * Like the real one it
 * - rejects over-limit calls: > 1000 vectors per upsert/insert or ids per delete, ids over
 *   64 bytes, vectors of the wrong dimension, metadata over 10 KiB, topK over 100 (over 20 with
 *   `returnValues` or `returnMetadata: "all"`), an index over 1536 dimensions;
 * - applies mutations asynchronously: each call answers a `mutationId` and changes nothing
 *   visible until the test applies it (`applyAll`, `applyNext`), or at once with `autoApply`;
 *   `describe()` reports `processedUpToMutation` and the applied `vectorCount`;
 * - filters on metadata only through metadata indexes (a property without one matches nothing),
 *   comparing indexed strings by their first 64 bytes, with $eq $ne $in $nin $lt $lte $gt $gte;
 * - scores by cosine, and with `returnMetadata: "indexed"` returns only indexed properties,
 *   strings cut at 64 bytes.
 */
import { cosine } from "../../src/vectors/cosine";
import { VECTORIZE_LIMITS } from "../../src/vectors/vectorize-limits";

type Metadata = Record<string, VectorizeVectorMetadata>;

interface Stored {
  id: string;
  values: Float32Array;
  metadata: Metadata;
}

type Mutation =
  | { id: string; kind: "upsert"; vectors: Stored[] }
  | { id: string; kind: "insert"; vectors: Stored[] }
  | { id: string; kind: "delete"; ids: string[] };

/** One call the binding received, for assertions on batching. */
export interface FakeCall {
  op: "upsert" | "insert" | "deleteByIds" | "query" | "getByIds" | "describe";
  size: number;
  options?: VectorizeQueryOptions;
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text).length;

/** The first `n` bytes of a string (whole characters). */
function cutBytes(text: string, n: number): string {
  if (bytes(text) <= n) return text;
  let out = "";
  for (const ch of text) {
    if (bytes(out + ch) > n) break;
    out += ch;
  }
  return out;
}

export class FakeVectorize {
  readonly calls: FakeCall[] = [];
  /** Apply every mutation as it is made (a test of visibility turns this off). */
  autoApply = false;
  /** The next this many mutations (upsert, insert, delete) fail, as a transient service error. */
  failNextMutations = 0;
  private readonly applied = new Map<string, Stored>();
  private readonly pending: Mutation[] = [];
  /** Ids a mutation of this instance named (`restore` leaves them alone). */
  private readonly touched = new Set<string>();
  private processedUpTo: string | null = null;
  private processedAt = 0;
  private mutations = 0;

  constructor(
    readonly dimensions: number,
    /** Properties with a metadata index, and their type. */
    readonly metadataIndexes: Record<string, "string" | "number" | "boolean"> = {},
  ) {
    if (dimensions > VECTORIZE_LIMITS.dimensions) {
      throw new Error(`VECTOR_INDEX_ERROR: dimensions over ${VECTORIZE_LIMITS.dimensions}`);
    }
  }

  /** Mutations sent and not yet applied. */
  get pendingMutations(): number {
    return this.pending.length;
  }

  /** Applies the oldest pending mutation; false when none is pending. */
  applyNext(): boolean {
    const mutation = this.pending.shift();
    if (!mutation) return false;
    if (mutation.kind === "delete") {
      for (const id of mutation.ids) this.applied.delete(id);
    } else {
      for (const v of mutation.vectors) {
        if (mutation.kind === "insert" && this.applied.has(v.id)) continue;
        this.applied.set(v.id, v);
      }
    }
    this.processedUpTo = mutation.id;
    this.processedAt = Date.now();
    return true;
  }

  /** Applies every pending mutation, in order. */
  applyAll(): void {
    while (this.applyNext()) {}
  }

  /** Every applied vector (what queries see), for recounting against D1. */
  contents(): { id: string; metadata: Metadata }[] {
    return [...this.applied.values()].map((v) => ({ id: v.id, metadata: { ...v.metadata } }));
  }

  /** Every applied vector with its values: the index's durable state, for `restore`. */
  snapshot(): VectorizeVector[] {
    return [...this.applied.values()].map((v) => ({
      id: v.id,
      values: Array.from(v.values),
      metadata: { ...v.metadata },
    }));
  }

  /**
   * Restores a `snapshot` taken from another instance (the service outlives a worker's crash):
   * its vectors come back except those this instance's own mutations already named, which are
   * newer.
   */
  restore(vectors: VectorizeVector[]): void {
    for (const v of this.validate(vectors)) {
      if (!this.touched.has(v.id)) this.applied.set(v.id, v);
    }
  }

  async describe(): Promise<VectorizeIndexInfo> {
    this.calls.push({ op: "describe", size: 0 });
    return {
      vectorCount: this.applied.size,
      dimensions: this.dimensions,
      processedUpToDatetime: this.processedAt,
      // Typed as a number by workers-types; the service sends the mutation's id.
      processedUpToMutation: this.processedUpTo as unknown as number,
    };
  }

  async upsert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation> {
    this.calls.push({ op: "upsert", size: vectors.length });
    return this.enqueue({ id: this.nextId(), kind: "upsert", vectors: this.validate(vectors) });
  }

  async insert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation> {
    this.calls.push({ op: "insert", size: vectors.length });
    return this.enqueue({ id: this.nextId(), kind: "insert", vectors: this.validate(vectors) });
  }

  async deleteByIds(ids: string[]): Promise<VectorizeAsyncMutation> {
    this.calls.push({ op: "deleteByIds", size: ids.length });
    if (ids.length > VECTORIZE_LIMITS.vectorsPerMutation) {
      throw new Error(
        `VECTOR_DELETE_ERROR: at most ${VECTORIZE_LIMITS.vectorsPerMutation} ids per call, got ${ids.length}`,
      );
    }
    return this.enqueue({ id: this.nextId(), kind: "delete", ids: [...ids] });
  }

  async getByIds(ids: string[]): Promise<VectorizeVector[]> {
    this.calls.push({ op: "getByIds", size: ids.length });
    return ids.flatMap((id) => {
      const v = this.applied.get(id);
      return v ? [{ id, values: Array.from(v.values), metadata: { ...v.metadata } }] : [];
    });
  }

  async query(
    vector: VectorFloatArray | number[],
    options: VectorizeQueryOptions = {},
  ): Promise<VectorizeMatches> {
    this.calls.push({ op: "query", size: options.topK ?? 5, options });
    const topK = options.topK ?? 5;
    const level =
      options.returnMetadata === true ? "all" : options.returnMetadata || ("none" as const);
    const heavy = options.returnValues === true || level === "all";
    const max = heavy ? VECTORIZE_LIMITS.topKWithValuesOrAllMetadata : VECTORIZE_LIMITS.topK;
    if (topK < 1 || topK > max) {
      throw new Error(
        `VECTOR_QUERY_ERROR: topK must be 1..${max}${heavy ? " with returnValues or returnMetadata 'all'" : ""}, got ${topK}`,
      );
    }
    if (vector.length !== this.dimensions) {
      throw new Error(
        `VECTOR_QUERY_ERROR: query has ${vector.length} dimensions, index ${this.dimensions}`,
      );
    }
    const q = Float32Array.from(vector);
    const matches = [...this.applied.values()]
      .filter((v) => this.matches(v.metadata, options.filter))
      .map((v) => ({ v, score: cosine(q, v.values) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK)
      .map(({ v, score }): VectorizeMatch => {
        const match: VectorizeMatch = { id: v.id, score };
        if (options.returnValues) match.values = Array.from(v.values);
        if (level === "all") match.metadata = { ...v.metadata };
        else if (level === "indexed") match.metadata = this.indexedOf(v.metadata);
        return match;
      });
    return { matches, count: matches.length };
  }

  private nextId(): string {
    this.mutations++;
    return `00000000-0000-4000-8000-${this.mutations.toString(16).padStart(12, "0")}`;
  }

  private enqueue(mutation: Mutation): VectorizeAsyncMutation {
    if (this.failNextMutations > 0) {
      this.failNextMutations--;
      throw new Error("VECTOR_UPSERT_ERROR (code = 1000): an internal error occurred (injected)");
    }
    this.pending.push(mutation);
    const ids = mutation.kind === "delete" ? mutation.ids : mutation.vectors.map((v) => v.id);
    for (const id of ids) this.touched.add(id);
    if (this.autoApply) this.applyAll();
    return { mutationId: mutation.id };
  }

  private validate(vectors: VectorizeVector[]): Stored[] {
    if (vectors.length > VECTORIZE_LIMITS.vectorsPerMutation) {
      throw new Error(
        `VECTOR_UPSERT_ERROR: at most ${VECTORIZE_LIMITS.vectorsPerMutation} vectors per call from a Worker, got ${vectors.length}`,
      );
    }
    return vectors.map((v) => {
      if (bytes(v.id) > VECTORIZE_LIMITS.idBytes) {
        throw new Error(`VECTOR_UPSERT_ERROR: id over ${VECTORIZE_LIMITS.idBytes} bytes: ${v.id}`);
      }
      if (v.values.length !== this.dimensions) {
        throw new Error(
          `VECTOR_UPSERT_ERROR: vector ${v.id} has ${v.values.length} dimensions, index ${this.dimensions}`,
        );
      }
      const metadata = (v.metadata ?? {}) as Metadata;
      if (bytes(JSON.stringify(metadata)) > VECTORIZE_LIMITS.metadataBytes) {
        throw new Error(`VECTOR_UPSERT_ERROR: metadata of ${v.id} over 10 KiB`);
      }
      return { id: v.id, values: Float32Array.from(v.values), metadata: { ...metadata } };
    });
  }

  /** What the metadata indexes hold of a vector's metadata (strings cut at 64 bytes). */
  private indexedOf(metadata: Metadata): Metadata {
    const out: Metadata = {};
    for (const [key, type] of Object.entries(this.metadataIndexes)) {
      const value = metadata[key];
      if (type === "string" && typeof value === "string") {
        out[key] = cutBytes(value, VECTORIZE_LIMITS.indexedStringBytes);
      } else if (value !== undefined && typeof value === type) out[key] = value;
    }
    return out;
  }

  private matches(metadata: Metadata, filter: VectorizeVectorMetadataFilter | undefined): boolean {
    if (!filter) return true;
    const indexed = this.indexedOf(metadata);
    for (const [key, condition] of Object.entries(filter)) {
      const type = this.metadataIndexes[key];
      // Without a metadata index a property can't be filtered on: nothing matches.
      if (!type) return false;
      const value = indexed[key];
      const ops =
        condition !== null && typeof condition === "object" && !Array.isArray(condition)
          ? (condition as Record<string, unknown>)
          : { $eq: condition };
      for (const [op, raw] of Object.entries(ops)) {
        const want =
          typeof raw === "string" && type === "string"
            ? cutBytes(raw, VECTORIZE_LIMITS.indexedStringBytes)
            : raw;
        if (!compare(op, value, want)) return false;
      }
    }
    return true;
  }
}

function compare(op: string, value: unknown, want: unknown): boolean {
  switch (op) {
    case "$eq":
      return value === want;
    case "$ne":
      return value !== want;
    case "$in":
      return Array.isArray(want) && want.includes(value);
    case "$nin":
      return Array.isArray(want) && !want.includes(value);
    case "$lt":
      return typeof value === typeof want && (value as number) < (want as number);
    case "$lte":
      return typeof value === typeof want && (value as number) <= (want as number);
    case "$gt":
      return typeof value === typeof want && (value as number) > (want as number);
    case "$gte":
      return typeof value === typeof want && (value as number) >= (want as number);
    default:
      throw new Error(`VECTOR_QUERY_ERROR: unknown filter operator ${op}`);
  }
}

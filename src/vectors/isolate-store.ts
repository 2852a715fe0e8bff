/**
 * The vector store kept in the isolate (local, and deployed without Vectorize): the binary index
 * of `isolate-index.ts`, one per model, which catches up from D1 before each query. D1 is what it
 * reads, so a commit or a delete needs no call here: the index sees the new set (or the
 * `vector_deletes` record) at its next catch-up, in this isolate and in every other one. A store
 * is built per request: it catches up once, however many questions the request asks.
 */
import type { Db } from "../storage/db";
import { countPassages } from "../storage/vector-reads";
import { type VectorIndex, vectorIndexFor } from "./isolate-index";
import type { PassageHit, Searchability, VectorQuery, VectorStore } from "./vector-store";

export class IsolateStore implements VectorStore {
  readonly kind = "isolate";

  /** The index of each model asked about, caught up once for this store. */
  private readonly ready = new Map<string, Promise<VectorIndex>>();

  constructor(private readonly db: Db) {}

  async commit(): Promise<void> {}

  async deleteEntries(): Promise<void> {}

  async prepare(model: string): Promise<void> {
    await this.index(model);
  }

  async query(q: VectorQuery): Promise<PassageHit[]> {
    const index = await this.index(q.model);
    return index.search(this.db, q.vector, q.topK, q.kb);
  }

  async entriesIn(model: string, kb?: string): Promise<number> {
    return (await this.index(model)).countIn(kb);
  }

  /**
   * Every query catches up with D1 before it answers, so what D1 committed is what is searchable.
   * (Not loading the index here keeps the status cheap in an isolate that has not searched yet.)
   */
  async searchability(model: string): Promise<Searchability> {
    const embedded = await countPassages(this.db, model);
    return {
      store: "isolate",
      embedded,
      searchable: embedded,
      pending: false,
      pending_mutation: null,
    };
  }

  private index(model: string): Promise<VectorIndex> {
    let ready = this.ready.get(model);
    if (!ready) {
      const index = vectorIndexFor(model);
      ready = index.sync(this.db).then(() => index);
      this.ready.set(model, ready);
    }
    return ready;
  }
}

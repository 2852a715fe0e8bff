/**
 * The vector store kept in the isolate (local, and deployed without Vectorize): the binary index
 * of `isolate-index.ts`, one per model, which catches up from D1 before each query. D1 is what it
 * reads, so a commit or a delete needs no call here: the index sees the new set (or the
 * `vector_deletes` record) at its next catch-up, in this isolate and in every other one.
 */
import type { Db } from "../storage/db";
import { countPassages } from "../storage/vector-reads";
import { vectorIndexFor } from "./isolate-index";
import type { PassageHit, Searchability, VectorQuery, VectorStore } from "./vector-store";

export class IsolateStore implements VectorStore {
  readonly kind = "isolate";

  constructor(private readonly db: Db) {}

  async commit(): Promise<void> {}

  async deleteEntries(): Promise<void> {}

  prepare(model: string): Promise<void> {
    return vectorIndexFor(model).sync(this.db);
  }

  async query(q: VectorQuery): Promise<PassageHit[]> {
    const index = vectorIndexFor(q.model);
    await index.sync(this.db);
    return index.search(this.db, q.vector, q.topK, q.kb);
  }

  async entriesIn(model: string, kb?: string): Promise<number> {
    const index = vectorIndexFor(model);
    await index.sync(this.db);
    return index.countIn(kb);
  }

  async searchability(model: string): Promise<Searchability> {
    const index = vectorIndexFor(model);
    const [embedded] = await Promise.all([countPassages(this.db, model), index.sync(this.db)]);
    return {
      store: "isolate",
      embedded,
      searchable: index.size,
      pending: index.size !== embedded,
      pending_mutation: null,
    };
  }
}

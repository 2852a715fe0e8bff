/**
 * The fake Vectorize (fake-vectorize.ts) as a binding of the worker under test: `npm run bench --
 * --scale` binds this entrypoint as `VECTORIZE` (what the worker's VectorStore port calls, over
 * RPC as the real binding's methods) and as `FAKE_VECTORIZE` (what the bench steers and recounts
 * it with). One index per isolate, shared by every entrypoint instance, as the fake Workers AI's
 * simulator is; 384 dimensions and wrangler.toml's metadata indexes.
 *
 * Mutations are applied `delayMs` after they were made (0: at once), checked at each call, so
 * queries see a lagging index as deployed. The index outlives a crash of the worker: before the
 * bench stops the system it `freeze`s the index (a mutation sent after that never answers: the
 * worker died before the service had it) and takes a `snapshot`, which the next life `restore`s.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { FakeVectorize } from "./fake-vectorize";
import type { FakeVectorizeReport, FakeVectorizeSnapshot } from "./fake-vectorize-types";

/** bge-small-en-v1.5's dimensions, the simulated Workers AI model. */
const DIMENSIONS = 384;
/** The metadata indexes wrangler.toml tells to create. */
const INDEXES = { kb: "string", model: "string", entry: "string", seq: "number" } as const;

const never = new Promise<never>(() => {});

/** The simulated index with its delay and freeze. */
class Simulated {
  readonly index = new FakeVectorize(DIMENSIONS, INDEXES);
  delayMs = 0;
  frozen = false;
  /** When each pending mutation was made, oldest first (parallel to the index's queue). */
  private readonly madeAt: number[] = [];

  /** Applies the mutations whose delay has passed. */
  catchUp(): void {
    const now = Date.now();
    while (this.madeAt.length > 0 && (this.madeAt[0] ?? now) + this.delayMs <= now) {
      this.madeAt.shift();
      this.index.applyNext();
    }
  }

  /** Applies every pending mutation now. */
  flush(): void {
    this.madeAt.length = 0;
    this.index.applyAll();
  }

  /** Runs a mutation unless frozen, and times its application. */
  async mutate(call: () => Promise<VectorizeAsyncMutation>): Promise<VectorizeAsyncMutation> {
    if (this.frozen) return never;
    this.catchUp();
    const result = await call();
    this.madeAt.push(Date.now());
    this.catchUp();
    return result;
  }
}

const simulated = new Simulated();

/** The binding: the Vectorize V2 methods the worker calls, and the bench's controls. */
export class FakeVectorizeBinding extends WorkerEntrypoint {
  async describe(): Promise<VectorizeIndexInfo> {
    simulated.catchUp();
    return simulated.index.describe();
  }

  async query(vector: number[], options?: VectorizeQueryOptions): Promise<VectorizeMatches> {
    simulated.catchUp();
    return simulated.index.query(vector, options);
  }

  async getByIds(ids: string[]): Promise<VectorizeVector[]> {
    simulated.catchUp();
    return simulated.index.getByIds(ids);
  }

  upsert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation> {
    return simulated.mutate(() => simulated.index.upsert(vectors));
  }

  insert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation> {
    return simulated.mutate(() => simulated.index.insert(vectors));
  }

  deleteByIds(ids: string[]): Promise<VectorizeAsyncMutation> {
    return simulated.mutate(() => simulated.index.deleteByIds(ids));
  }

  /** Sets how long a mutation waits before it is applied. */
  async configure(config: { delayMs: number }): Promise<void> {
    simulated.delayMs = config.delayMs;
  }

  /** From now on no mutation answers: the worker is about to be stopped. */
  async freeze(): Promise<void> {
    simulated.frozen = true;
  }

  /** Every applied vector with its values (pending mutations applied first: they were sent). */
  async snapshot(): Promise<FakeVectorizeSnapshot> {
    simulated.flush();
    return { vectors: simulated.index.snapshot() as FakeVectorizeSnapshot["vectors"] };
  }

  /** Brings back a previous life's snapshot. */
  async restore(snapshot: FakeVectorizeSnapshot): Promise<void> {
    simulated.index.restore(snapshot.vectors as VectorizeVector[]);
  }

  /** The index's contents and calls, every pending mutation applied first. */
  async report(): Promise<FakeVectorizeReport> {
    const pending = simulated.index.pendingMutations;
    simulated.flush();
    const calls: Record<string, number> = {};
    for (const call of simulated.index.calls) calls[call.op] = (calls[call.op] ?? 0) + 1;
    return {
      vectors: simulated.index.contents().map(({ id, metadata }) => ({
        id,
        kb: metadata.kb,
        entry: metadata.entry,
        model: metadata.model,
        seq: metadata.seq,
      })),
      pending,
      calls,
    };
  }
}

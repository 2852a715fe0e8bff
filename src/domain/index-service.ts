/**
 * The embedding index's controls and status: queue what is missing or stale, run a synchronous
 * batch, pause, resume, retry failures. Talks to the EmbedWorker when there is one; where there is
 * none (`EMBED_MODE=sync` or no binding), synchronous batches run in the request.
 */
import type { Settings } from "../config";
import { type Embedder, fingerprintKey } from "../embedder/types";
import { embedNow, roundResult } from "../embedding/embed-now";
import { roundContext } from "../embedding/embed-round";
import { readMigrationStatus } from "../embedding/migration-status";
import { type EmbedStatus, readEmbedStatus } from "../embedding/status";
import { ApiError } from "../errors";
import { limits } from "../model/limits";
import type { ModelSource } from "../select-embedder";
import type { WorkerStatus } from "../shared/api-types";
import type { Db } from "../storage/db";
import { readIndexModels } from "../storage/index-models";
import { type FailedRow, listFailed, retryFailed } from "../storage/queue-admin";
import { enqueueNeeded } from "../storage/queue-enqueue";
import { retryShadowFailed } from "../storage/shadow-queue";
import type { VectorStore } from "../vectors/vector-store";
import { type IndexWorker, requireWorker } from "./index-worker";

export interface IndexDeps {
  db: Db;
  /** Where passage vectors are searched: told of sets committed here; asked what is searchable. */
  vectors: VectorStore;
  settings: Settings;
  /** A pinned embedder of the serving model, per use (embedding/serving.ts). */
  embedder: () => Embedder;
  /** Every model this deployment can load (for the migration status). */
  models: ModelSource;
  /** The EmbedWorker, or null where none runs. */
  worker: IndexWorker | null;
  now?: () => number;
}

export class IndexService {
  private readonly now: () => number;

  constructor(private readonly deps: IndexDeps) {
    this.now = deps.now ?? Date.now;
  }

  async status(kb?: string): Promise<EmbedStatus> {
    const now = this.now();
    const [info, worker, migration] = await Promise.all([
      this.deps
        .embedder()
        .info()
        .catch((err: unknown) => {
          console.error("embedder unavailable", err);
          return null;
        }),
      this.workerStatus(),
      readMigrationStatus(this.deps.db, this.deps.models, kb, now),
    ]);
    const status = await readEmbedStatus(this.deps.db, {
      kb,
      now,
      info,
      worker,
      embedMode: this.deps.settings.embedMode,
      migration,
    });
    // Embedded (committed in D1) is not yet searchable while the vector store catches up.
    status.vector_store = info
      ? await this.deps.vectors.searchability(fingerprintKey(info.model)).catch((err: unknown) => {
          console.error("vector store unavailable", err);
          return null;
        })
      : null;
    return status;
  }

  /**
   * Queues what needs embedding; then either kicks the worker and answers at once
   * (`background`), or embeds one bounded batch now and says what remains.
   */
  async embed(opts: { kb?: string; force: boolean; background: boolean; limit?: number }) {
    const info = await this.deps.embedder().info();
    const queued = await enqueueNeeded(this.deps.db, {
      kb: opts.kb,
      force: opts.force,
      activeModel: fingerprintKey(info.model),
      now: this.now(),
    });
    if (opts.background) {
      const worker = this.requireWorker();
      await worker.kick();
      return { mode: "background" as const, queued, status: await this.status(opts.kb) };
    }
    const limit = Math.min(opts.limit ?? this.deps.settings.batchSize, limits.syncEmbedRows);
    const batch = this.deps.worker
      ? await this.deps.worker.processNow(limit)
      : await this.processHere(limit);
    if (batch.paused) {
      throw new ApiError(409, "worker_paused", "the embedder is paused; resume it first");
    }
    return { mode: "sync" as const, queued, batch, status: await this.status(opts.kb) };
  }

  async pause(): Promise<WorkerStatus> {
    return this.requireWorker().pause();
  }

  async resume(): Promise<WorkerStatus> {
    return this.requireWorker().resume();
  }

  /**
   * Requeues failed rows: all, one KB's, or one entry's (`id` with `kb`); and, with no `id`, the
   * failed shadow rows of a running migration.
   */
  async retryFailed(kb?: string, id?: string): Promise<{ requeued: number }> {
    const { db } = this.deps;
    const now = this.now();
    const { target } = await readIndexModels(db);
    const shadow =
      target && id === undefined ? await retryShadowFailed(db, target.model, now, kb) : 0;
    const requeued = (await retryFailed(db, now, kb, id)) + shadow;
    if (requeued > 0 && this.deps.worker) await this.deps.worker.kick();
    return { requeued };
  }

  /** The most recently failed rows, with their errors. */
  async failed(kb: string | undefined, limit: number): Promise<{ failed: FailedRow[] }> {
    return { failed: await listFailed(this.deps.db, limit, kb) };
  }

  private async workerStatus(): Promise<WorkerStatus | null> {
    if (!this.deps.worker) return null;
    return this.deps.worker.status();
  }

  private requireWorker(): IndexWorker {
    return requireWorker(this.deps.worker, "embed synchronously");
  }

  /** A synchronous batch where no worker exists to run it. */
  private async processHere(limit: number) {
    const { db, settings } = this.deps;
    return roundResult(
      await embedNow(
        roundContext(db, this.deps.vectors, this.deps.embedder(), settings, this.now),
        settings.leaseMs,
        {
          due: limit,
        },
      ),
    );
  }
}

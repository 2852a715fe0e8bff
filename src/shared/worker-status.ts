/** What the EmbedWorker reports about itself, shared by the Durable Object and the status view. */

/** The worker's state as the status endpoint shows it. */
export interface WorkerStatus {
  state: "running" | "idle" | "paused";
  last_run_at: string | null;
  next_alarm_at: string | null;
  batch_size: number;
  max_attempts: number;
  embedded_last_minute: number;
  /** Passages embedded in the last minute (the throughput of the embedder itself). */
  passages_last_minute: number;
  last_error: { kb_name: string; entry_id: string; error: string; at: string } | null;
  /** Embed rounds the worker keeps in flight at most (`EMBED_CONCURRENCY`). */
  concurrency?: number;
  /** Rounds in flight now. */
  in_flight?: number;
  /** Which shard this worker is (`EMBED_SHARDS`); its KBs are those that hash to `index`. */
  shard?: { index: number; count: number };
  /**
   * With several shards, the status above aggregates them (counts summed, `running` if any runs,
   * `paused` only if all are) and each shard's own is here.
   */
  shards?: WorkerStatus[];
}

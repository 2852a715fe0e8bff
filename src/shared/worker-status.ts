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
}

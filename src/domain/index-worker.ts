/**
 * How the index controls reach the background embedder. The real implementation is the
 * EmbedWorker Durable Object's stub; the service sees only this, so it never imports the adapter.
 */
import { ApiError } from "../errors";
import type { EmbedRoundResult, WorkerStatus } from "../shared/api-types";
import type { ModelSwitchedMessage } from "../shared/messages";

/** The background embedder as seen from `/api/index`. */
export interface IndexWorker {
  /** Makes sure the worker runs soon. */
  kick(): Promise<void>;
  /** Embeds up to `limit` due rows now and reports them. */
  processNow(limit: number): Promise<EmbedRoundResult>;
  pause(): Promise<WorkerStatus>;
  resume(): Promise<WorkerStatus>;
  status(): Promise<WorkerStatus>;
  /** Tells every subscriber that the serving model changed, and kicks the loop. */
  announce(message: ModelSwitchedMessage): Promise<void>;
}

/** The worker, or `409 no_worker` saying what needs one (`needs`) where none runs. */
export function requireWorker(worker: IndexWorker | null, needs: string): IndexWorker {
  if (!worker) {
    throw new ApiError(
      409,
      "no_worker",
      `no background worker runs here (EMBED_MODE is not 'background'): ${needs}`,
    );
  }
  return worker;
}

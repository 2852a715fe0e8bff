/**
 * How the API reaches the background embedder. The real implementation is the EmbedWorker
 * Durable Object; where there is none (no binding, or `EMBED_MODE=sync`), the no-op one stands in.
 */
import type { EntryEventMessage } from "../shared/messages";

/** The background embedder as seen from the write path. */
export interface EmbedNotifier {
  /** Whether a background worker exists to drain the queue. */
  readonly present: boolean;
  /**
   * After a write commits: announce the change to subscribers and, when `kick` is set, make sure
   * the worker runs soon. Called inside `waitUntil`, never on the write's critical path.
   */
  afterWrite(events: EntryEventMessage[], kick: boolean): Promise<void>;
}

/** Used where no background worker runs. */
export const noNotifier: EmbedNotifier = {
  present: false,
  async afterWrite() {},
};

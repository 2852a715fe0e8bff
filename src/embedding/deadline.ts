/**
 * A deadline for the embedder's calls within one batch. A call that never returns would otherwise
 * hold the batch, and with it the single worker, forever: pause would never finish and no later
 * alarm would claim anything. The budget ends before the claim's lease does, so a timed-out batch
 * still commits its failures under its own lease, before anyone else may reclaim the rows.
 */

import { withTimeout } from "../shared/timeout";

/** Share of the time left on the lease the embedder may use; the rest is for the commit. */
const EMBED_SHARE_OF_LEASE = 0.8;

/** A point in time after which the embedder's calls of a batch fail. */
export interface Deadline {
  /** Epoch ms when it passes. */
  readonly end: number;
  /** Starts `work` and resolves like it, or rejects once the deadline passes (at once if it has). */
  race<T>(work: () => Promise<T>, what: string): Promise<T>;
}

/** The deadline of a batch whose earliest lease ends at `leaseUntil`. */
export function embedDeadline(leaseUntil: number, now: () => number): Deadline {
  const start = now();
  const end = start + Math.max(0, leaseUntil - start) * EMBED_SHARE_OF_LEASE;
  const remaining = () => Math.max(0, end - now());
  return {
    end,
    async race<T>(work: () => Promise<T>, what: string): Promise<T> {
      const left = remaining();
      const timedOut = () => new Error(`${what} timed out (the embedder did not answer in time)`);
      // Past the deadline, don't even start: the call's answer could no longer be committed.
      if (left <= 0) throw timedOut();
      return withTimeout(work(), left, timedOut);
    },
  };
}

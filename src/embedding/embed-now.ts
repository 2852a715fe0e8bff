/**
 * "Embed these now": the one sequence every caller runs to embed rows at once — the EmbedWorker's
 * loop and `processNow`, a synchronous `POST /api/index/embed`, and sync-mode writes (one entry
 * or a batch). Claim (for due rows, failing the exhausted expired leases in the same round trip,
 * so no row ever gets an attempt past the maximum), embed, commit, and say what to announce.
 */
import type { EmbedRoundResult } from "../shared/api-types";
import type { EmbedCompleteMessage, EmbedFailedMessage } from "../shared/messages";
import { claimDueWithEntries, claimEntry, type ExhaustedRow } from "../storage/queue-claim";
import type { Shard } from "../storage/shard";
import {
  processClaimed,
  processEntries,
  type RoundContext,
  type RoundOutcome,
} from "./embed-round";

/**
 * Which rows: up to `due` due rows (of the KBs of `shard`, if given), or one written entry's row while it holds `contentHash` (a
 * sync-mode write; that claim takes only a pending row, never one past its last attempt).
 */
export type EmbedNowTarget =
  | { due: number; shard?: Shard }
  | { entry: { kbName: string; id: string; contentHash: string } };

/** What one run did. */
export interface EmbedNowRun {
  /** Rows claimed (and processed). */
  claimed: number;
  outcome: RoundOutcome;
  /**
   * Every event to announce, all already committed: `embed_failed` for rows whose last lease
   * expired, then `embed_complete` / `embed_failed` of the batch.
   */
  events: (EmbedCompleteMessage | EmbedFailedMessage)[];
}

/** A run as the API reports it (`POST /api/index/embed`, the worker's `processNow`). */
export function roundResult(run: Pick<EmbedNowRun, "claimed" | "outcome">): EmbedRoundResult {
  return {
    paused: false,
    claimed: run.claimed,
    embedded: run.outcome.completed.length,
    failed: run.outcome.failed.length,
    retrying: run.outcome.retrying,
  };
}

/** Claims the target's rows under a lease of `leaseMs`, embeds them and commits the outcome. */
export async function embedNow(
  ctx: RoundContext,
  leaseMs: number,
  target: EmbedNowTarget,
): Promise<EmbedNowRun> {
  if ("entry" in target) {
    const { kbName, id, contentHash } = target.entry;
    const claim = await claimEntry(ctx.db, kbName, id, contentHash, ctx.now(), leaseMs);
    const claimed = claim ? [claim] : [];
    return run(claimed.length, [], await processClaimed(ctx, claimed));
  }
  const { exhausted, claimed, entries, vectors } = await claimDueWithEntries(ctx.db, {
    now: ctx.now(),
    leaseMs,
    limit: target.due,
    maxAttempts: ctx.maxAttempts,
    shard: target.shard,
  });
  return run(claimed.length, exhausted, await processEntries(ctx, claimed, entries, vectors));
}

function run(claimed: number, exhausted: ExhaustedRow[], outcome: RoundOutcome): EmbedNowRun {
  return {
    claimed,
    outcome,
    events: [...exhausted.map(exhaustedEvent), ...outcome.completed, ...outcome.failed],
  };
}

/** The `embed_failed` of a row whose lease expired after its last allowed attempt. */
function exhaustedEvent(r: ExhaustedRow): EmbedFailedMessage {
  return {
    type: "embed_failed",
    kb_name: r.kbName,
    entry_id: r.entryId,
    content_hash: r.contentHash,
    model: null,
    attempts: r.attempts,
    queued_at: new Date(r.queuedAt).toISOString(),
    embedded_at: null,
    error: r.error ?? "lease expired",
  };
}

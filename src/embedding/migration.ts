/**
 * A migration's work: embed shadow rows with the target model (the same cycle as the serving
 * queue's, over `shadow_queue`), and switch the serving model, atomically, once the target covers
 * enough of the index. The worker runs a shadow cycle only when the serving queue has nothing
 * due, so fresh writes are always embedded with the serving model first.
 */
import type { Embedder } from "../embedder/types";
import type { ModelSwitchedMessage } from "../shared/messages";
import type { Db } from "../storage/db";
import { type IndexModels, switchServing } from "../storage/index-models";
import type { IndexModelRow } from "../storage/schema";
import { claimShadow, countShadow, shadowClaims } from "../storage/shadow-queue";
import { readStatusCounts } from "../storage/status-counts";
import { processClaimed, type RoundContext, type RoundOutcome } from "./embed-round";

/** Claims up to `limit` due shadow rows of `target` and embeds them with `embedder`. */
export async function runShadowCycle(
  base: RoundContext,
  target: string,
  embedder: Embedder,
  leaseMs: number,
  limit: number,
): Promise<{ claimed: number; outcome: RoundOutcome }> {
  const ctx: RoundContext = { ...base, embedder, claims: shadowClaims(target) };
  const { claimed } = await claimShadow(ctx.db, {
    model: target,
    now: ctx.now(),
    leaseMs,
    limit,
    maxAttempts: ctx.maxAttempts,
  });
  return { claimed: claimed.length, outcome: await processClaimed(ctx, claimed) };
}

/** Entries of one KB (or all), from the exact counts. */
async function countEntries(db: Db, kb: string | undefined, now: number): Promise<number> {
  const { rows } = await readStatusCounts(db, kb, now);
  return rows.filter((r) => r.metric === "entries").reduce((sum, r) => sum + Number(r.n), 0);
}

/** Entries embedded with `model` as the serving model (queue rows `done` with it), of all. */
async function servingCoverage(db: Db, model: string, now: number) {
  const { rows } = await readStatusCounts(db, undefined, now);
  let entries = 0;
  let embedded = 0;
  for (const row of rows) {
    if (row.metric === "entries") entries += Number(row.n);
    else if (row.metric === "queue:done" && row.model === model) embedded += Number(row.n);
  }
  return { embedded, entries, ratio: entries === 0 ? 1 : embedded / entries };
}

/** How much of the index `target` covers: entries minus its shadow rows left. */
export async function shadowCoverage(db: Db, target: string, now: number, kb?: string) {
  const [entries, counts] = await Promise.all([
    countEntries(db, kb, now),
    countShadow(db, target, kb),
  ]);
  const left = counts.pending + counts.processing + counts.failed;
  const covered = Math.max(0, entries - left);
  return { entries, covered, ratio: entries === 0 ? 1 : covered / entries, counts };
}

/** The event of a switch to `model`, with the coverage it switched at (read after the switch). */
export async function switchedMessage(
  db: Db,
  model: string,
  previous: string | null,
  reason: ModelSwitchedMessage["reason"],
  now: number,
): Promise<ModelSwitchedMessage> {
  return {
    type: "model_switched",
    model,
    previous,
    reason,
    coverage: await servingCoverage(db, model, now),
    at: new Date(now).toISOString(),
  };
}

/**
 * Switches to the target when it covers `switch_at` of the index (all of it by default); returns
 * the event to announce, or null when it is not time yet (or another switch won).
 */
export async function switchIfReady(
  db: Db,
  models: IndexModels,
  now: number,
): Promise<ModelSwitchedMessage | null> {
  const target: IndexModelRow | undefined = models.target;
  if (!target) return null;
  const coverage = await shadowCoverage(db, target.model, now);
  const left = coverage.entries - coverage.covered;
  if (left > 0 && coverage.ratio < target.switchAt) return null;
  const result = await switchServing(db, target.model, now);
  if (!result.switched) return null;
  return switchedMessage(db, target.model, models.serving?.model ?? null, "migration", now);
}

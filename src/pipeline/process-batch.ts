/**
 * One cycle of the embedding pipeline over rows already claimed: read the entries, embed them in
 * one embedder call, and commit every outcome in one D1 batch. Used by the EmbedWorker's loop and
 * by synchronous embedding, so both follow the same contract.
 */
import type { Settings } from "../config";
import { embeddedText } from "../domain/content";
import type { Embedder, EmbedderInfo } from "../embedder/types";
import { fingerprintKey } from "../embedder/types";
import { assertValidBatch } from "../embedder/validate";
import type { EmbedCompleteMessage, EmbedFailedMessage } from "../shared/messages";
import { type Db, runBatch, type Statement } from "../storage/db";
import { writeVectorIfCurrent } from "../storage/embeddings";
import { getEntryRowsByKeys } from "../storage/entries";
import { type ClaimedRow, dequeue, type EmbedSource, markDone, markFailed } from "../storage/queue";
import { backoffMs } from "./backoff";
import { type Deadline, embedDeadline } from "./deadline";

/** What processing needs from its surroundings. */
export interface BatchContext {
  db: Db;
  embedder: Embedder;
  maxAttempts: number;
  retryBaseMs: number;
  now: () => number;
  random: () => number;
}

/**
 * The context every caller builds the same way: the retry policy of `settings`, and random
 * jitter. `now` is injectable so services under test keep their own clock.
 */
export function batchContext(
  db: Db,
  embedder: Embedder,
  settings: Pick<Settings, "maxAttempts" | "retryBaseMs">,
  now: () => number = Date.now,
): BatchContext {
  return {
    db,
    embedder,
    maxAttempts: settings.maxAttempts,
    retryBaseMs: settings.retryBaseMs,
    now,
    random: Math.random,
  };
}

/** What became of a batch. */
export interface BatchOutcome {
  /** Committed vectors, one event each (sent only after the commit). */
  completed: EmbedCompleteMessage[];
  /** Rows that failed for the last allowed time. */
  failed: EmbedFailedMessage[];
  /** Rows that failed and will be retried after their backoff. */
  retrying: number;
  /** Rows whose entry was deleted or changed meanwhile: their result was dropped. */
  dropped: number;
  /** Texts the embedder truncated at its token window. */
  truncated: number;
  /** The last error seen, for the status. */
  lastError?: { kb_name: string; entry_id: string; error: string; at: string };
}

type Attempt =
  | { ok: true; vector: Float32Array; truncated: boolean }
  | { ok: false; error: string };

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/** Embeds the batch in one call; if that call fails, each text alone so one bad entry can't
 * fail its neighbours. */
async function embedAll(
  embedder: Embedder,
  info: EmbedderInfo,
  texts: string[],
  deadline: Deadline,
) {
  const dims = info.model.dims;
  try {
    const batch = await deadline.race(() => embedder.embed(texts), "embedding the batch");
    assertValidBatch(batch, texts.length, dims);
    const truncated = new Set(batch.truncated);
    return batch.vectors.map(
      (vector, i): Attempt => ({ ok: true, vector, truncated: truncated.has(i) }),
    );
  } catch (batchError) {
    if (texts.length === 1) return [{ ok: false, error: errorText(batchError) } as Attempt];
    const attempts: Attempt[] = [];
    for (const text of texts) {
      try {
        const one = await deadline.race(() => embedder.embed([text]), "embedding the entry");
        assertValidBatch(one, 1, dims);
        const vector = one.vectors[0];
        if (!vector) throw new Error("embedder returned no vector");
        attempts.push({ ok: true, vector, truncated: one.truncated.length > 0 });
      } catch (err) {
        attempts.push({ ok: false, error: errorText(err) });
      }
    }
    return attempts;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Embeds and commits claimed rows. Throws only if D1 itself fails (leases then recover). */
export async function processClaimed(
  ctx: BatchContext,
  claimed: ClaimedRow[],
): Promise<BatchOutcome> {
  if (claimed.length === 0) return processEntries(ctx, claimed, []);
  const rows = await getEntryRowsByKeys(
    ctx.db,
    claimed.map((c) => ({ kbName: c.kbName, id: c.entryId })),
  );
  return processEntries(ctx, claimed, rows);
}

/**
 * `processClaimed` with the entries already read (in the claim's own round trip). `rows` may hold
 * entries of other rows; only the claimed rows' are used, and a claimed row without its entry is
 * an orphan, as there.
 */
export async function processEntries(
  ctx: BatchContext,
  claimed: ClaimedRow[],
  rows: EmbedSource[],
): Promise<BatchOutcome> {
  const outcome: BatchOutcome = {
    completed: [],
    failed: [],
    retrying: 0,
    dropped: 0,
    truncated: 0,
  };
  if (claimed.length === 0) return outcome;
  const { db } = ctx;

  const byKey = new Map<string, EmbedSource>(rows.map((r) => [`${r.kbName}\u0000${r.id}`, r]));
  const work: { claim: ClaimedRow; entry: EmbedSource }[] = [];
  const orphans: ClaimedRow[] = [];
  for (const claim of claimed) {
    const entry = byKey.get(`${claim.kbName}\u0000${claim.entryId}`);
    if (entry) work.push({ claim, entry });
    else orphans.push(claim);
  }

  let info: EmbedderInfo | undefined;
  let attempts: Attempt[];
  const deadline = embedDeadline(Math.min(...claimed.map((c) => c.leaseUntil)), ctx.now);
  try {
    info = await deadline.race(() => ctx.embedder.info(), "asking the embedder what it is");
    attempts = await embedAll(
      ctx.embedder,
      info,
      work.map((w) => embeddedText(w.entry)),
      deadline,
    );
  } catch (err) {
    // The embedder can't even say what it is: every row of the batch failed this attempt.
    const error = errorText(err);
    attempts = work.map(() => ({ ok: false, error }));
  }

  const now = ctx.now();
  const model = info ? fingerprintKey(info.model) : "";
  const statements: Statement[] = [];
  const plan: ({ kind: "done"; index: number } | { kind: "fail"; index: number })[] = [];
  for (const [index, { claim, entry }] of work.entries()) {
    const attempt = attempts[index] ?? { ok: false, error: "no result" };
    if (attempt.ok) {
      if (attempt.truncated) outcome.truncated++;
      statements.push(
        writeVectorIfCurrent({
          kbName: entry.kbName,
          entryId: entry.id,
          model,
          contentHash: entry.contentHash,
          vector: attempt.vector,
          truncated: attempt.truncated,
          embeddedAt: now,
        }),
        markDone(db, claim, model, now),
      );
      plan.push({ kind: "done", index });
    } else {
      const terminal = claim.attempts >= ctx.maxAttempts;
      const next = now + backoffMs(ctx.retryBaseMs, claim.attempts, ctx.random);
      statements.push(markFailed(db, claim, attempt.error, terminal, next, now));
      plan.push({ kind: "fail", index });
      outcome.lastError = {
        kb_name: claim.kbName,
        entry_id: claim.entryId,
        error: attempt.error,
        at: iso(now),
      };
    }
  }
  // A claimed row without its entry is a leftover of a delete; remove it.
  for (const orphan of orphans) statements.push(dequeue(db, orphan.kbName, orphan.entryId));
  outcome.dropped += orphans.length;

  const results = await runBatch(db, statements);

  let cursor = 0;
  for (const step of plan) {
    const item = work[step.index];
    const attempt = attempts[step.index];
    if (!item || !attempt) continue;
    const { claim, entry } = item;
    const base = {
      kb_name: claim.kbName,
      entry_id: claim.entryId,
      attempts: claim.attempts,
      queued_at: iso(claim.queuedAt),
    };
    if (step.kind === "done") {
      const written = results[cursor];
      cursor += 2;
      if ((written?.meta.changes ?? 0) > 0) {
        outcome.completed.push({
          type: "embed_complete",
          ...base,
          content_hash: entry.contentHash,
          model,
          embedded_at: iso(now),
        });
      } else {
        outcome.dropped++;
      }
    } else {
      const status = results[cursor]?.results[0]?.status;
      cursor += 1;
      if (status === "failed" && !attempt.ok) {
        outcome.failed.push({
          type: "embed_failed",
          ...base,
          content_hash: entry.contentHash,
          model: model || null,
          embedded_at: null,
          error: attempt.error,
        });
      } else if (status === "pending") {
        outcome.retrying++;
      }
    }
  }
  return outcome;
}

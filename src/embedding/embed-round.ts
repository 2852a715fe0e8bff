/**
 * One cycle of the embedding pipeline over rows already claimed: split each entry into passages,
 * embed the passages that have no stored vector (in calls of up to N texts across entries), and
 * commit every outcome in one D1 batch. Used by the EmbedWorker's loop and by synchronous
 * embedding, so both follow the same contract: the queue row, the retries and the events stay per
 * entry, and an entry's passage set is committed whole, only while the entry holds the text that
 * was split.
 */
import type { SQL } from "drizzle-orm";
import type { Settings } from "../config";
import { busyRetryAfterMs } from "../embedder/backpressure";
import { estimateTokens } from "../embedder/tokens";
import type { Embedder, EmbedderInfo } from "../embedder/types";
import { fingerprintKey } from "../embedder/types";
import { assertValidOutput } from "../embedder/validate";
import type { EmbedCompleteMessage, EmbedFailedMessage } from "../shared/messages";
import { type ClaimStore, servingClaims } from "../storage/claim-store";
import { type Db, runAtomic, type Statement } from "../storage/db";
import {
  commitPassageSet,
  getStoredVectorHashes,
  type StoredVector,
  stagePassageVector,
} from "../storage/embeddings";
import { getEntryRowsByKeys } from "../storage/entries";
import { entryKey } from "../storage/entry-keys";
import type { ClaimedRow, EmbedSource } from "../storage/queue-claim";
import { passageSetOf, readPassageSet } from "../storage/vector-reads";
import type { CommittedSet, VectorStore } from "../vectors/vector-store";
import { backoffMs } from "./backoff";
import { type Deadline, embedDeadline } from "./deadline";
import { Pacer } from "./pacer";
import { addressedPassages, type PassagePlan, planPassages } from "./plan-passages";

/** What processing needs from its surroundings. */
export interface RoundContext {
  db: Db;
  /** Told of each committed set after its D1 commit (Vectorize upserts; the isolate reads D1). */
  vectors: VectorStore;
  embedder: Embedder;
  maxAttempts: number;
  retryBaseMs: number;
  now: () => number;
  random: () => number;
  /** Split entries into passages (`EMBED_PASSAGES=on`), or embed each whole, cut to the window. */
  passages: boolean;
  /** Most texts in one embedder call (`EMBED_BATCH_SIZE`). */
  textsPerCall: number;
  /**
   * Most texts embedded in one cycle. Entries left unfinished are handed back to the queue with
   * their progress stored, so one huge entry never holds the queue: the worker's loop picks it up
   * again next cycle, after whatever else is due.
   */
  textsPerCycle: number;
  /** The queue the claimed rows came from: the serving model's, or a migration's shadow queue. */
  claims: ClaimStore;
  /**
   * Paces the embedder calls (a tokens-per-minute budget, and "busy, retry after" answers),
   * shared by every round a worker has in flight; without one, a round paces itself alone.
   */
  pacer?: Pacer;
}

/**
 * The context every caller builds the same way: the retry policy and batch size of `settings`,
 * and random jitter; a cycle embeds all it claimed (the worker narrows that). `now` is injectable
 * so services under test keep their own clock.
 */
export function roundContext(
  db: Db,
  vectors: VectorStore,
  embedder: Embedder,
  settings: Pick<Settings, "maxAttempts" | "retryBaseMs" | "batchSize" | "embedPassages">,
  now: () => number = Date.now,
): RoundContext {
  return {
    db,
    vectors,
    embedder,
    maxAttempts: settings.maxAttempts,
    retryBaseMs: settings.retryBaseMs,
    now,
    random: Math.random,
    passages: settings.embedPassages,
    textsPerCall: settings.batchSize,
    textsPerCycle: Number.POSITIVE_INFINITY,
    claims: servingClaims(db),
  };
}

/** What became of a batch. */
export interface RoundOutcome {
  /** Committed passage sets, one event per entry (sent only after the commit). */
  completed: EmbedCompleteMessage[];
  /** Rows that failed for the last allowed time. */
  failed: EmbedFailedMessage[];
  /** Rows that failed and will be retried after their backoff. */
  retrying: number;
  /** Rows whose entry was deleted or changed meanwhile: their result was dropped. */
  dropped: number;
  /** Rows handed back unfinished (the cycle's texts ran out); their vectors so far are kept. */
  yielded: number;
  /**
   * Rows handed back because the embedder was busy (or the token budget spent) past the round's
   * deadline: due again when it may be called, without an attempt counted.
   */
  deferred: number;
  /** Passages embedded (texts the embedder turned into vectors). */
  passages: number;
  /** Texts the embedder truncated at its token window. */
  truncated: number;
  /** The last error seen, for the status. */
  lastError?: { kb_name: string; entry_id: string; error: string; at: string };
}

/** The outcome of a cycle that did nothing. */
export function emptyOutcome(): RoundOutcome {
  return {
    completed: [],
    failed: [],
    retrying: 0,
    dropped: 0,
    yielded: 0,
    deferred: 0,
    passages: 0,
    truncated: 0,
  };
}

type Attempt =
  | { ok: true; vector: Float32Array; truncated: boolean }
  | { ok: false; error: string };

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

/** The embedder answered "busy, call again after `retryAfterMs`": not a failure of the texts. */
interface Busy {
  busy: true;
  retryAfterMs: number;
}

/** Embeds the texts in one call; if that call fails, each text alone so one bad passage can't
 * fail its neighbours. A busy answer stops at once: none of the texts failed. */
async function embedAll(
  embedder: Embedder,
  info: EmbedderInfo,
  texts: string[],
  deadline: Deadline,
): Promise<Attempt[] | Busy> {
  const dims = info.model.dims;
  try {
    const batch = await deadline.race(() => embedder.embed(texts), "embedding the batch");
    assertValidOutput(batch, texts.length, dims);
    const truncated = new Set(batch.truncated);
    return batch.vectors.map(
      (vector, i): Attempt => ({ ok: true, vector, truncated: truncated.has(i) }),
    );
  } catch (batchError) {
    const wait = busyRetryAfterMs(batchError);
    if (wait !== undefined) return { busy: true, retryAfterMs: wait };
    if (texts.length === 1) return [{ ok: false, error: errorText(batchError) } as Attempt];
    const attempts: Attempt[] = [];
    for (const text of texts) {
      try {
        const one = await deadline.race(() => embedder.embed([text]), "embedding the entry");
        assertValidOutput(one, 1, dims);
        const vector = one.vectors[0];
        if (!vector) throw new Error("embedder returned no vector");
        attempts.push({ ok: true, vector, truncated: one.truncated.length > 0 });
      } catch (err) {
        const busyWait = busyRetryAfterMs(err);
        if (busyWait !== undefined) return { busy: true, retryAfterMs: busyWait };
        attempts.push({ ok: false, error: errorText(err) });
      }
    }
    return attempts;
  }
}

/**
 * One call through the pacer: waits for the budget and out every "busy" answer, calling again,
 * as long as the call can still be made before the deadline; null when it cannot (the texts are
 * then handed back, no attempt counted).
 */
async function pacedCall(
  ctx: RoundContext,
  pacer: Pacer,
  info: EmbedderInfo,
  texts: string[],
  deadline: Deadline,
): Promise<Attempt[] | null> {
  const tokens = texts.reduce((sum, text) => sum + estimateTokens(text), 0);
  for (;;) {
    if (!(await pacer.acquire(tokens, deadline.end))) return null;
    const started = ctx.now();
    const result = await embedAll(ctx.embedder, info, texts, deadline);
    pacer.recordCall(ctx.now() - started);
    if (!("busy" in result)) return result;
    pacer.backOff(result.retryAfterMs);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Embeds and commits claimed rows. Throws only if D1 itself fails (leases then recover). */
export async function processClaimed(
  ctx: RoundContext,
  claimed: ClaimedRow[],
): Promise<RoundOutcome> {
  if (claimed.length === 0) return processEntries(ctx, claimed, []);
  const rows = await getEntryRowsByKeys(
    ctx.db,
    claimed.map((c) => ({ kbName: c.kbName, id: c.entryId })),
  );
  return processEntries(ctx, claimed, rows);
}

/** One claimed entry on its way through the cycle. */
interface Item {
  claim: ClaimedRow;
  entry: EmbedSource;
  plan: PassagePlan | null;
  /** Passages embedded this cycle, by passage address: whether each was truncated. */
  embedded: Map<string, boolean>;
  /** Their vectors, for the vector store after the commit. */
  vectors: Map<string, Float32Array>;
  error?: string;
  /** Set when the embedder could not be called in time: the row goes back due at this moment. */
  deferUntil?: number;
}

/**
 * `processClaimed` with the entries already read (in the claim's own round trip), and with the
 * vectors stored for them if those were read there too (of any model; otherwise they are read
 * here). `rows` may hold entries of other rows; only the claimed rows' are used, and a claimed row
 * without its entry is an orphan, as there.
 */
export async function processEntries(
  ctx: RoundContext,
  claimed: ClaimedRow[],
  rows: EmbedSource[],
  stored?: (StoredVector & { model: string })[],
): Promise<RoundOutcome> {
  const outcome = emptyOutcome();
  if (claimed.length === 0) return outcome;
  const { db } = ctx;

  const byKey = new Map<string, EmbedSource>(rows.map((r) => [entryKey(r.kbName, r.id), r]));
  const items: Item[] = [];
  const orphans: ClaimedRow[] = [];
  for (const claim of claimed) {
    const entry = byKey.get(entryKey(claim.kbName, claim.entryId));
    if (entry) items.push({ claim, entry, plan: null, embedded: new Map(), vectors: new Map() });
    else orphans.push(claim);
  }

  const deadline = embedDeadline(Math.min(...claimed.map((c) => c.leaseUntil)), ctx.now);
  let info: EmbedderInfo | undefined;
  try {
    info = await deadline.race(() => ctx.embedder.info(), "asking the embedder what it is");
  } catch (err) {
    // The embedder can't even say what it is: every row of the batch failed this attempt.
    for (const item of items) item.error = errorText(err);
  }
  const model = info ? fingerprintKey(info.model) : "";
  const staged: SQL[] = [];
  if (info && items.length > 0) {
    await planAll(
      ctx,
      info,
      model,
      items,
      stored?.filter((v) => v.model === model),
    );
    await embedMissing(ctx, info, model, items, deadline, staged, outcome);
  }

  const now = ctx.now();
  const statements: Statement[] = [...staged];
  /** `previousAt`: a done step's read of the set it replaces, just before its commit. */
  const steps: {
    item: Item;
    kind: "done" | "fail" | "yield" | "defer";
    at: number;
    previousAt?: number;
  }[] = [];
  for (const item of items) {
    const { claim, entry, plan } = item;
    if (item.error !== undefined || !plan || !info) {
      const error = item.error ?? "no result";
      const terminal = claim.attempts >= ctx.maxAttempts;
      const next = now + backoffMs(ctx.retryBaseMs, claim.attempts, ctx.random);
      steps.push({ item, kind: "fail", at: statements.length });
      statements.push(ctx.claims.fail(claim, error, terminal, next, now));
      outcome.lastError = { kb_name: claim.kbName, entry_id: claim.entryId, error, at: iso(now) };
    } else if (plan.missing.every((m) => item.embedded.has(m.hash))) {
      const truncated =
        plan.truncated.size > 0 || [...item.embedded.values()].some((cut) => cut === true);
      statements.push(readPassageSet(entry.kbName, entry.id));
      steps.push({ item, kind: "done", at: statements.length, previousAt: statements.length - 1 });
      statements.push(
        ...commitPassageSet({
          kbName: entry.kbName,
          entryId: entry.id,
          contentHash: entry.contentHash,
          model,
          dims: info.model.dims,
          passages: plan.passages.map((p) => ({
            seq: p.seq,
            hash: p.hash,
            headingPath: p.headingPath,
            start: p.start,
            end: p.end,
          })),
          truncated,
          embeddedAt: now,
        }),
        ctx.claims.done(claim, model, now),
      );
    } else {
      steps.push({
        item,
        kind: item.deferUntil === undefined ? "yield" : "defer",
        at: statements.length,
      });
      statements.push(ctx.claims.release(claim, now, item.deferUntil ?? now));
    }
  }
  // A claimed row without its entry is a leftover of a delete; remove it.
  for (const orphan of orphans) statements.push(ctx.claims.drop(orphan));
  outcome.dropped += orphans.length;

  const results = await runAtomic(db, statements);
  const committed: { item: Item; set: CommittedSet }[] = [];

  for (const { item, kind, at, previousAt } of steps) {
    const { claim, entry, plan } = item;
    const base = {
      kb_name: claim.kbName,
      entry_id: claim.entryId,
      attempts: claim.attempts,
      queued_at: iso(claim.queuedAt),
    };
    if (kind === "done" && plan) {
      // The header's upsert changed a row exactly when the whole set was committed.
      if ((results[at]?.meta.changes ?? 0) > 0) {
        committed.push({
          item,
          set: {
            kbName: entry.kbName,
            entryId: entry.id,
            model,
            embeddedAt: now,
            passages: plan.passages.map((p) => ({
              seq: p.seq,
              hash: p.hash,
              vector: item.vectors.get(p.hash),
            })),
            previous: passageSetOf(
              previousAt === undefined ? undefined : results[previousAt]?.results,
            ),
          },
        });
        const reused = plan.passages.filter((p) => plan.older.has(p.hash)).length;
        const fresh = new Set(
          plan.passages.filter((p) => !plan.older.has(p.hash)).map((p) => p.hash),
        );
        outcome.completed.push({
          type: "embed_complete",
          ...base,
          content_hash: entry.contentHash,
          model,
          embedded_at: iso(now),
          passages: { total: plan.passages.length, embedded: fresh.size, reused },
        });
      } else {
        outcome.dropped++;
      }
    } else if (kind === "yield") {
      if ((results[at]?.results.length ?? 0) > 0) outcome.yielded++;
    } else if (kind === "defer") {
      if ((results[at]?.results.length ?? 0) > 0) outcome.deferred++;
    } else {
      const status = results[at]?.results[0]?.status;
      if (status === "failed") {
        outcome.failed.push({
          type: "embed_failed",
          ...base,
          content_hash: entry.contentHash,
          model: model || null,
          embedded_at: null,
          error: item.error ?? "no result",
        });
      } else if (status === "pending") {
        outcome.retrying++;
      }
    }
  }
  await sendToStore(ctx, committed, outcome, now);
  return outcome;
}

/**
 * Tells the vector store of the sets just committed. If it refuses, those entries go back to the
 * queue (their sets stay committed in D1, their vectors stored) and announce nothing yet: the
 * next run reuses every vector and sends the set again, so a refused upsert loses nothing.
 */
async function sendToStore(
  ctx: RoundContext,
  committed: { item: Item; set: CommittedSet }[],
  outcome: RoundOutcome,
  now: number,
): Promise<void> {
  if (committed.length === 0) return;
  try {
    await ctx.vectors.commit(committed.map((c) => c.set));
  } catch (err) {
    const error = `the vector store refused the passages: ${errorText(err)}`;
    const next = now + backoffMs(ctx.retryBaseMs, 1, ctx.random);
    await runAtomic(
      ctx.db,
      committed.map(({ item }) =>
        ctx.claims.requeue(
          item.entry.kbName,
          item.entry.id,
          item.entry.contentHash,
          error,
          next,
          now,
        ),
      ),
    );
    const refused = new Set(committed.map(({ set }) => entryKey(set.kbName, set.entryId)));
    outcome.completed = outcome.completed.filter(
      (c) => !refused.has(entryKey(c.kb_name, c.entry_id)),
    );
    outcome.retrying += refused.size;
    const first = committed[0]?.set;
    if (first) {
      outcome.lastError = { kb_name: first.kbName, entry_id: first.entryId, error, at: iso(now) };
    }
  }
}

/** Splits and addresses every entry, and compares with the vectors stored for them. */
async function planAll(
  ctx: RoundContext,
  info: EmbedderInfo,
  model: string,
  items: Item[],
  known: StoredVector[] | undefined,
): Promise<void> {
  const stored =
    known ??
    (await getStoredVectorHashes(
      ctx.db,
      model,
      items.map((i) => ({ kbName: i.entry.kbName, id: i.entry.id })),
    ));
  const storedBy = new Map<string, StoredVector[]>();
  for (const vector of stored) {
    const key = entryKey(vector.kbName, vector.entryId);
    const list = storedBy.get(key);
    if (list) list.push(vector);
    else storedBy.set(key, [vector]);
  }
  for (const item of items) {
    const passages = await addressedPassages(item.entry, {
      model,
      windowTokens: info.maxTokens,
      tokensPerWord: info.tokensPerWord,
      passages: ctx.passages,
    });
    const have = storedBy.get(entryKey(item.entry.kbName, item.entry.id)) ?? [];
    item.plan = planPassages(passages, have, item.claim.queuedAt);
  }
}

/**
 * Embeds the missing passages in calls of up to `textsPerCall` texts across entries, smallest
 * entries first (a huge entry takes what is left of the cycle, never the small ones' turn), up to
 * `textsPerCycle`. Each call's vectors are stored before the next call, so the progress of a huge
 * entry survives; the last call's go into `staged`, to commit with the cycle's outcomes.
 */
async function embedMissing(
  ctx: RoundContext,
  info: EmbedderInfo,
  model: string,
  items: Item[],
  deadline: Deadline,
  staged: SQL[],
  outcome: RoundOutcome,
): Promise<void> {
  const order = [...items].sort(
    (a, b) => (a.plan?.missing.length ?? 0) - (b.plan?.missing.length ?? 0),
  );
  const queue = order.flatMap((item) => (item.plan?.missing ?? []).map((m) => ({ item, ...m })));
  let budget = ctx.textsPerCycle;
  let cursor = 0;
  const pacer = ctx.pacer ?? new Pacer({ tokensPerMinute: 0, requestsPerMinute: 0 });
  while (cursor < queue.length && budget > 0) {
    const take: typeof queue = [];
    while (take.length < Math.min(ctx.textsPerCall, budget) && cursor < queue.length) {
      const next = queue[cursor++];
      // An entry with a failed passage has failed this attempt: embed no more of it.
      if (next && next.item.error === undefined) take.push(next);
    }
    if (take.length === 0) break;
    budget -= take.length;
    if (staged.length > 0) await runAtomic(ctx.db, staged.splice(0));
    const attempts = await pacedCall(
      ctx,
      pacer,
      info,
      take.map((t) => t.input),
      deadline,
    );
    if (attempts === null) {
      // Busy past the deadline: hand back every entry still unfinished, due when a call may go.
      const at = pacer.readyAt();
      for (const { item } of [...take, ...queue.slice(cursor)]) {
        if (item.error === undefined) item.deferUntil = at;
      }
      break;
    }
    const now = ctx.now();
    for (const [i, { item, hash }] of take.entries()) {
      const attempt = attempts[i] ?? { ok: false, error: "no result" };
      if (!attempt.ok) {
        item.error ??= attempt.error;
        continue;
      }
      outcome.passages++;
      if (attempt.truncated) outcome.truncated++;
      item.embedded.set(hash, attempt.truncated);
      item.vectors.set(hash, attempt.vector);
      staged.push(
        stagePassageVector(
          {
            kbName: item.entry.kbName,
            entryId: item.entry.id,
            contentHash: item.entry.contentHash,
            model,
            hash,
            vector: attempt.vector,
            truncated: attempt.truncated,
          },
          now,
        ),
      );
    }
  }
}

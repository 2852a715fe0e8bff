/** `GET /api/index/migrate`: the serving model, a migration's progress, and the kept sets. */
import type { ModelSource } from "../select-embedder";
import type { MigrationStatus, ModelSetInfo, ShadowProgress } from "../shared/api-types";
import type { Db } from "../storage/db";
import { setsCommittedSince } from "../storage/index-models";
import { readStatusCounts } from "../storage/status-counts";
import { shadowCoverage } from "./migration";
import { resolveServing } from "./serving";

const MINUTE_MS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Reads the migration status (of one KB's entries, or all). */
export async function readMigrationStatus(
  db: Db,
  source: ModelSource,
  kb: string | undefined,
  now: number,
): Promise<MigrationStatus> {
  const [choice, counts] = await Promise.all([
    resolveServing(db, source).catch(() => null),
    readStatusCounts(db, kb, now),
  ]);
  const sets = new Map<string, { sets: number; passages: number }>();
  for (const row of counts.rows) {
    if (row.metric !== "vectors" && row.metric !== "passages") continue;
    const held = sets.get(row.model) ?? { sets: 0, passages: 0 };
    if (row.metric === "vectors") held.sets += Number(row.n);
    else held.passages += Number(row.n);
    sets.set(row.model, held);
  }
  const rows = choice
    ? [choice.models.serving, choice.models.target, ...choice.models.kept].flatMap((r) =>
        r ? [r] : [],
      )
    : [];
  const models: ModelSetInfo[] = rows.map((r) => ({
    model: r.model,
    role: r.role,
    sets: sets.get(r.model)?.sets ?? 0,
    passages: sets.get(r.model)?.passages ?? 0,
    since: iso(r.since),
    retired_at: r.retiredAt === null ? null : iso(r.retiredAt),
  }));
  const target = choice?.models.target;
  let shadow: ShadowProgress | null = null;
  if (target) {
    const [coverage, lastMinute] = await Promise.all([
      shadowCoverage(db, target.model, now, kb),
      setsCommittedSince(db, target.model, now - MINUTE_MS),
    ]);
    const left = coverage.entries - coverage.covered;
    shadow = {
      entries: coverage.entries,
      covered: coverage.covered,
      ratio: coverage.ratio,
      ...coverage.counts,
      entries_last_minute: lastMinute,
      eta_seconds: left === 0 ? 0 : lastMinute === 0 ? null : Math.ceil((left / lastMinute) * 60),
    };
  }
  return {
    kb: kb ?? null,
    serving: choice?.model ?? null,
    serving_available: choice?.embedder !== null && choice !== null,
    serving_error: choice ? choice.error : "the embedder is unavailable",
    target: target?.model ?? null,
    switch_at: target?.switchAt ?? null,
    shadow,
    models,
  };
}

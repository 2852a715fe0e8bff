/**
 * The EmbedWorker shards (`EMBED_SHARDS`): shard i is the Durable Object named `embedder` (i = 0,
 * so one shard is exactly the single worker of before, state included) or `embedder-i`. Each is
 * the single worker of the KBs that hash to it (`shardOf`): it claims only their rows and arms
 * its alarm only for them. Shard 0 is also the hub of every WebSocket: other shards forward their
 * events to it, so a subscriber hears about every KB whichever shard embeds it.
 *
 * Changing the count moves no work twice. Claims and leases live in D1: a row is claimed by one
 * atomic UPDATE, by whichever worker gets there first, and while its lease lasts no other claim
 * can take it, whatever shard now owns its KB; the old owner's late commit is refused by the lease
 * guard (`stillClaimed`) once the lease has passed to someone else. So during a re-shard, two
 * workers may each hold different rows of one KB for a moment, but never the same row, and no
 * entry is embedded by two workers at once. A shard whose index is past the new count claims
 * nothing and arms no alarm.
 */
import type { Settings } from "../config";
import type { IndexWorker } from "../domain/index-worker";
import type { EmbedRoundResult, WorkerStatus } from "../shared/api-types";
import type { EntryEventMessage } from "../shared/messages";
import { shardOf } from "../storage/shard";

/** The name of shard `index` (shard 0 keeps the single worker's name). */
function shardName(index: number): string {
  return index === 0 ? "embedder" : `embedder-${index}`;
}

/** The index a shard's name stands for (0 for the single worker's name or an unknown one). */
export function shardIndexOf(name: string | undefined): number {
  const match = /^embedder-(\d+)$/.exec(name ?? "");
  return match?.[1] ? Number(match[1]) : 0;
}

/** Shard `index`'s stub. */
export function shardStub(env: Env, index: number) {
  return env.EMBED_WORKER.get(env.EMBED_WORKER.idFromName(shardName(index)));
}

/** The hub: shard 0, which holds every WebSocket. */
export function hubStub(env: Env) {
  return shardStub(env, 0);
}

function indices(settings: Settings): number[] {
  return Array.from({ length: settings.embedShards }, (_, i) => i);
}

/** Kicks every shard (the cron safety net, a queue-everything request). */
export async function kickAll(env: Env, settings: Settings): Promise<void> {
  await Promise.all(indices(settings).map((i) => shardStub(env, i).kick()));
}

/**
 * After a write: the events to the hub's subscribers, and a kick to the shards that own the
 * written KBs (every shard, if the events name none). One call to the hub when it owns them all.
 */
export async function notifyShards(
  env: Env,
  settings: Settings,
  events: EntryEventMessage[],
  kick: boolean,
): Promise<void> {
  const owners = new Set(
    kick
      ? events.length > 0
        ? events.map((e) => shardOf(e.kb_name, settings.embedShards))
        : indices(settings)
      : [],
  );
  const calls: Promise<void>[] = [hubStub(env).notify(events, owners.has(0))];
  for (const index of owners) if (index !== 0) calls.push(shardStub(env, index).kick());
  await Promise.all(calls);
}

/** One status for all shards: counts summed, `running` if any runs, `paused` only if all are. */
function aggregate(statuses: WorkerStatus[]): WorkerStatus {
  const [first] = statuses;
  if (!first) throw new Error("no shard answered");
  if (statuses.length === 1) return first;
  const latest = (values: (string | null)[]) =>
    values.reduce<string | null>((a, b) => (b !== null && (a === null || b > a) ? b : a), null);
  const earliest = (values: (string | null)[]) =>
    values.reduce<string | null>((a, b) => (b !== null && (a === null || b < a) ? b : a), null);
  const errors = statuses.flatMap((s) => (s.last_error ? [s.last_error] : []));
  return {
    state: statuses.every((s) => s.state === "paused")
      ? "paused"
      : statuses.some((s) => s.state === "running")
        ? "running"
        : "idle",
    last_run_at: latest(statuses.map((s) => s.last_run_at)),
    next_alarm_at: earliest(statuses.map((s) => s.next_alarm_at)),
    batch_size: first.batch_size,
    max_attempts: first.max_attempts,
    embedded_last_minute: statuses.reduce((n, s) => n + s.embedded_last_minute, 0),
    passages_last_minute: statuses.reduce((n, s) => n + s.passages_last_minute, 0),
    last_error: errors.reduce<WorkerStatus["last_error"]>(
      (a, b) => (a === null || b.at > a.at ? b : a),
      null,
    ),
    concurrency: first.concurrency,
    in_flight: statuses.reduce((n, s) => n + (s.in_flight ?? 0), 0),
    shards: statuses,
  };
}

/** Sums the rounds every shard ran now; `paused` only if every shard was. */
function sumRounds(rounds: EmbedRoundResult[]): EmbedRoundResult {
  return {
    paused: rounds.every((r) => r.paused),
    claimed: rounds.reduce((n, r) => n + r.claimed, 0),
    embedded: rounds.reduce((n, r) => n + r.embedded, 0),
    failed: rounds.reduce((n, r) => n + r.failed, 0),
    retrying: rounds.reduce((n, r) => n + r.retrying, 0),
  };
}

/** The index controls over every shard, as the index service sees one worker. */
export function shardedIndexWorker(env: Env, settings: Settings): IndexWorker {
  const all = <T>(call: (stub: ReturnType<typeof shardStub>) => Promise<T>) =>
    Promise.all(indices(settings).map((i) => call(shardStub(env, i))));
  return {
    kick: () => kickAll(env, settings),
    processNow: async (limit) => sumRounds(await all((s) => s.processNow(limit))),
    pause: async () => aggregate(await all((s) => s.pause())),
    resume: async () => aggregate(await all((s) => s.resume())),
    status: async () => aggregate(await all((s) => s.status())),
    // The hub holds every socket; the other shards are kicked (the serving model changed).
    announce: async (message) => {
      await shardStub(env, 0).announce(message);
      await kickAll(env, settings);
    },
  };
}

/** Helpers of the `scale` project: the fake Workers AI binding and the EmbedWorker shards. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { readSettings } from "../../src/config";
import { shardStub } from "../../src/embed-worker/shards";
import { shardOf } from "../../src/storage/shard";
import { queueRows } from "../worker/helpers";

export {
  api,
  createEntry,
  embedStatus,
  expireLeases,
  queueRows,
  until,
} from "../worker/helpers";

/** The fake binding's controls. */
export const fakeAi = () => env.FAKE_AI;

/** Shards in this project (`EMBED_SHARDS`). */
export const SHARDS = readSettings(env).embedShards;

/** Shard `index`'s EmbedWorker. */
export const shard = (index: number) => shardStub(env, index);

/** The first of `kb-0`, `kb-1`, … that belongs to shard `index` (and is not in `except`). */
export function kbOfShard(index: number, except: string[] = []): string {
  for (let i = 0; ; i++) {
    const kb = `kb-${i}`;
    if (shardOf(kb, SHARDS) === index && !except.includes(kb)) return kb;
  }
}

/**
 * Kicks every shard and runs their alarms at once, until no row is pending or processing (or
 * gives up). A kick is what a write or the cron would do; it arms the alarm this then runs.
 */
export async function drainAllShards(rounds = 20): Promise<void> {
  const all = Array.from({ length: SHARDS }, (_, index) => shard(index));
  for (let i = 0; i < rounds; i++) {
    await Promise.all(all.map((stub) => stub.kick()));
    await Promise.all(all.map((stub) => runDurableObjectAlarm(stub)));
    const open = (await queueRows()).filter(
      (r) => r.status === "pending" || r.status === "processing",
    );
    if (open.length === 0) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error("the queue did not drain");
}

/** Passage vectors stored, and how many distinct passage hashes they hold. */
export async function passageVectorCount(): Promise<{ rows: number; distinct: number }> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS rows, count(DISTINCT kb_name || '/' || entry_id || '/' || hash) AS distinct_rows FROM passage_vectors",
  ).first<{ rows: number; distinct_rows: number }>();
  return { rows: row?.rows ?? 0, distinct: row?.distinct_rows ?? 0 };
}

/**
 * Scenario 1, write latency: sequential creates of ~300-word entries against three servers at
 * once (EMBED_MODE=off, background, sync), in rotating blocks so that whatever else loads the
 * machine falls on every mode alike. Each background block is followed by a wait until the worker
 * has drained it, so no mode's block competes with another mode's embedding; within a background
 * block the worker embeds the block's earlier writes while the later ones are measured, which is
 * the cost being asked about. A fourth series, background with the worker paused, isolates the
 * write path itself (entry + queue row in one D1 batch, the kick after the response) from the
 * CPU the embedding takes.
 */
import { embeddedText } from "../../src/domain/content.js";
import { BenchClient, setWorker, timed, waitForDrain } from "../lib/client.js";
import { makeEntry } from "../lib/corpus.js";
import type { Plan } from "../lib/plan.js";
import type { ServerPool } from "../lib/server-pool.js";
import { writeServers } from "../lib/servers.js";
import { fixed, type Summary, summarize } from "../lib/stats.js";

type Series = "off" | "background" | "sync" | "backgroundPaused";

/** What the scenario reports. */
export interface WriteLatencyResult {
  method: string;
  bodyWords: number;
  embeddedChars: number;
  writesPerSeries: number;
  latencyMs: Record<Series, Summary>;
  ratios: {
    backgroundOverOffP50: number;
    backgroundOverOffP95: number;
    syncOverBackgroundP50: number;
    pausedOverOffP50: number;
  };
  /** `embedding.status` of every measured answer, by series: off → disabled, background → queued, sync → embedded. */
  embeddingStatus: Record<Series, Record<string, number>>;
}

const KB = "writes";
const EXPECTED: Record<Series, string> = {
  off: "disabled",
  background: "queued",
  sync: "embedded",
  backgroundPaused: "queued",
};

async function write(api: BenchClient, entry: ReturnType<typeof makeEntry>) {
  const answer = await timed(api.http.api.entries.$post({ json: { kb: KB, ...entry } }));
  if (answer.status !== 201 || answer.body === undefined) {
    throw new Error(
      `create answered ${answer.status} ${answer.error?.code}: ${answer.error?.message.slice(0, 300)}`,
    );
  }
  return { ms: answer.ms, status: answer.body.embedding.status };
}

/** Runs the scenario. */
export async function runWriteLatency(options: {
  plan: Plan;
  pool: ServerPool;
  log: (line: string) => void;
}): Promise<WriteLatencyResult> {
  const { plan, pool, log } = options;
  const { perMode, warmup, block } = plan.write;
  const modes = ["off", "background", "sync"] as const;
  const specs = writeServers();
  const servers = await Promise.all(
    modes.map((mode) => pool.take(specs[mode].name, specs[mode].vars)),
  );
  try {
    const apis = {
      off: new BenchClient(servers[0]?.url ?? ""),
      background: new BenchClient(servers[1]?.url ?? ""),
      sync: new BenchClient(servers[2]?.url ?? ""),
    };
    const apiOf = (series: Series) => apis[series === "backgroundPaused" ? "background" : series];

    let next = 0;
    const entry = () => makeEntry(plan.seed, next++, plan.bodyWords, "w");
    log(`write latency: warming up (${warmup} writes per server)`);
    for (const mode of modes) for (let i = 0; i < warmup; i++) await write(apis[mode], entry());
    await waitForDrain(apis.background, { timeoutMs: 300_000 });

    const series: Series[] = ["off", "background", "sync", "backgroundPaused"];
    const samples = Object.fromEntries(series.map((s) => [s, [] as number[]])) as Record<
      Series,
      number[]
    >;
    const statuses = Object.fromEntries(series.map((s) => [s, {}])) as Record<
      Series,
      Record<string, number>
    >;
    for (let done = 0; done < perMode; done += block) {
      const size = Math.min(block, perMode - done);
      for (const s of series) {
        const api = apiOf(s);
        if (s === "backgroundPaused") await setWorker(api, "pause");
        for (let i = 0; i < size; i++) {
          const result = await write(api, entry());
          samples[s].push(result.ms);
          statuses[s][result.status] = (statuses[s][result.status] ?? 0) + 1;
        }
        if (s === "backgroundPaused") await setWorker(api, "resume");
        if (s === "background" || s === "backgroundPaused") {
          await waitForDrain(api, { timeoutMs: 300_000 });
        }
      }
      log(`write latency: ${done + size}/${perMode} writes per series`);
    }
    for (const s of series) {
      const wrong = Object.keys(statuses[s]).filter((status) => status !== EXPECTED[s]);
      if (wrong.length > 0) {
        throw new Error(
          `${s} writes answered embedding.status ${wrong.join(", ")} (expected ${EXPECTED[s]})`,
        );
      }
    }
    for (const api of Object.values(apis)) api.close();

    const latency = Object.fromEntries(series.map((s) => [s, summarize(samples[s])])) as Record<
      Series,
      Summary
    >;
    return {
      method:
        "three servers (EMBED_MODE=off, background, sync) up at once; sequential POST /api/entries " +
        `over loopback in rotating blocks of ${block} per series; background blocks are followed by a ` +
        "wait until the worker drained them; series backgroundPaused = background with the worker paused",
      bodyWords: plan.bodyWords,
      embeddedChars: embeddedText(makeEntry(plan.seed, 0, plan.bodyWords, "w")).length,
      writesPerSeries: perMode,
      latencyMs: latency,
      ratios: {
        backgroundOverOffP50: fixed(latency.background.p50 / latency.off.p50, 3),
        backgroundOverOffP95: fixed(latency.background.p95 / latency.off.p95, 3),
        syncOverBackgroundP50: fixed(latency.sync.p50 / latency.background.p50, 3),
        pausedOverOffP50: fixed(latency.backgroundPaused.p50 / latency.off.p50, 3),
      },
      embeddingStatus: statuses,
    };
  } finally {
    await Promise.all(modes.map((mode) => pool.release(specs[mode].name)));
  }
}

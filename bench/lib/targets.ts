/** The targets, judged against the figures of one run. */
import type { BenchResults, TargetResult } from "./results.js";
import { ok } from "./results.js";

const ms = (value: number) => `${value.toFixed(1)} ms`;
const times = (value: number) => `${value.toFixed(2)}×`;

/** Judges every target; a target whose scenario did not run is `met: null`. */
export function judgeTargets(results: Omit<BenchResults, "targets">): TargetResult[] {
  const targets: TargetResult[] = [];
  const write = ok(results.scenarios.writeLatency);
  targets.push(
    write
      ? {
          id: "write.background_vs_off",
          target: "background write p50 ≤ 1.15 × off p50",
          figure: `${times(write.ratios.backgroundOverOffP50)} (${ms(write.latencyMs.background.p50)} vs ${ms(write.latencyMs.off.p50)})`,
          met: write.ratios.backgroundOverOffP50 <= 1.15,
        }
      : missing("write.background_vs_off", "background write p50 ≤ 1.15 × off p50"),
    write
      ? {
          id: "write.sync_vs_background",
          target: "sync / background write p50 ≥ 5",
          figure: `${times(write.ratios.syncOverBackgroundP50)} (${ms(write.latencyMs.sync.p50)} vs ${ms(write.latencyMs.background.p50)})`,
          met: write.ratios.syncOverBackgroundP50 >= 5,
        }
      : missing("write.sync_vs_background", "sync / background write p50 ≥ 5"),
  );
  const drain = ok(results.scenarios.drain);
  if (drain) {
    for (const run of drain.runs) {
      targets.push({
        id: `drain.batch_${run.batchSize}`,
        target: `pipeline drain ≥ 0.85 × raw embedder, passages/s (batch ${run.batchSize})`,
        figure: `${times(run.ratio)} (${run.pipelinePassagesPerSec.toFixed(1)} vs ${run.rawTextsPerSec.toFixed(1)} passages/s, ${run.entries} entries, ${run.passages} passages)`,
        met: run.ratio >= 0.85,
      });
    }
  } else {
    targets.push(missing("drain", "pipeline drain ≥ 0.85 × raw embedder throughput"));
  }
  const fresh = ok(results.scenarios.freshness);
  const freshTarget =
    "one-section edit of a long note: ≤ 2 passages re-embedded, and freshness p50 ≤ raw embed of the edited passage p50 + 25 ms";
  targets.push(
    fresh
      ? {
          id: "freshness",
          target: freshTarget,
          figure:
            `${ms(fresh.ackToEventMs.p50)} vs ${ms(fresh.rawSingleEmbedMs.p50)} + 25 (pipeline adds ${ms(fresh.overheadP50Ms)}); ` +
            `at most ${fresh.passagesEmbedded.max} of ${fresh.note.passages} passages re-embedded`,
          met:
            fresh.passagesEmbedded.max <= 2 &&
            fresh.ackToEventMs.p50 <= fresh.rawSingleEmbedMs.p50 + 25,
        }
      : missing("freshness", freshTarget),
  );
  const search = ok(results.scenarios.search);
  const largest = search?.sizes[search.sizes.length - 1];
  const at100k = largest !== undefined && largest.entries >= 100_000;
  const note = at100k ? undefined : `measured at ${largest?.entries ?? 0} entries only (quick run)`;
  targets.push(
    largest
      ? {
          id: "search.semantic_100k",
          target: "semantic search p50 at 100k entries ≤ 100 ms",
          figure: `${ms(largest.latencyMs.semantic.p50)} at ${largest.entries} entries, ${largest.passages} passages`,
          met: largest.latencyMs.semantic.p50 <= 100,
          ...(note ? { note } : {}),
        }
      : missing("search.semantic_100k", "semantic search p50 at 100k entries ≤ 100 ms"),
    largest
      ? {
          id: "status_100k",
          target: "status p50 at 100k queue rows ≤ 20 ms",
          figure: `${ms(Math.max(largest.statusMs.p50, largest.statusPendingMs.p50))} (all done ${ms(largest.statusMs.p50)}; ${largest.statusPendingRows} pending ${ms(largest.statusPendingMs.p50)}) at ${largest.entries} rows`,
          met: Math.max(largest.statusMs.p50, largest.statusPendingMs.p50) <= 20,
          ...(note ? { note } : {}),
        }
      : missing("status_100k", "status p50 at 100k queue rows ≤ 20 ms"),
  );
  const load = ok(results.scenarios.load);
  targets.push(
    load
      ? {
          id: "load.checks",
          target:
            "load test: no 5xx, no lost write, queue empty, counts reconcile, every event delivered",
          figure: load.ok ? "all checks passed" : load.problems.join("; "),
          met: load.ok,
        }
      : missing("load.checks", "load test checks"),
  );
  return targets;
}

function missing(id: string, target: string): TargetResult {
  return { id, target, figure: "not measured", met: null };
}

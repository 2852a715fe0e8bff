/** The shape of `bench/results/latest.json`. */
import type { CorpusResult } from "../scenarios/corpus.js";
import type { DrainResult } from "../scenarios/drain.js";
import type { FreshnessResult } from "../scenarios/freshness.js";
import type { LoadResult } from "../scenarios/load.js";
import type { SearchResult } from "../scenarios/search.js";
import type { WriteLatencyResult } from "../scenarios/write-latency.js";
import type { MachineInfo, Versions } from "./machine.js";

/** A scenario's result, or why it has none. */
export type Outcome<T> = T | { error: string };

/** One target, judged. */
export interface TargetResult {
  id: string;
  target: string;
  figure: string;
  /** null when the scenario did not run or failed. */
  met: boolean | null;
  note?: string;
}

/** Everything one run measured. */
export interface BenchResults {
  date: string;
  quick: boolean;
  durationSeconds: number;
  machine: MachineInfo & { loadAvgAtEnd: number[] };
  versions: Versions;
  settings: Record<string, unknown>;
  scenarios: {
    writeLatency?: Outcome<WriteLatencyResult>;
    drain?: Outcome<DrainResult>;
    freshness?: Outcome<FreshnessResult>;
    search?: Outcome<SearchResult>;
    load?: Outcome<LoadResult & { method: string }>;
    /** Only with `--corpus DIR...`: a real pyrite corpus imported, drained and updated. */
    corpus?: Outcome<CorpusResult>;
  };
  targets: TargetResult[];
}

/** Narrows an outcome to its result. */
export function ok<T extends object>(outcome: Outcome<T> | undefined): T | undefined {
  if (outcome === undefined || "error" in outcome) return undefined;
  return outcome;
}

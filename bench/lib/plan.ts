/** How much each scenario does: the full run (≈10 min on 2 cores) or `--quick` (< 60 s). */

/** Counts and sizes of one bench run. */
export interface Plan {
  quick: boolean;
  /** Words in the body of a write-latency, drain and freshness entry. */
  bodyWords: number;
  write: { perMode: number; warmup: number; block: number };
  drain: { batchSizes: number[]; entries: Record<number, number>; primaryBatchSize: number };
  freshness: { samples: number; warmup: number };
  search: {
    sizes: number[];
    /** Passages stored per entry (≈ what a 1,000-word note splits into). */
    passagesPerEntry: number;
    bodyWords: number;
    queries: number;
    warmup: number;
    statusSamples: number;
  };
  load: { writers: number; opsPerWriter: number; listeners: number; bodyWords: number };
  seed: number;
}

/** The full run. */
export const FULL_PLAN: Plan = {
  quick: false,
  bodyWords: 300,
  write: { perMode: 300, warmup: 30, block: 50 },
  drain: {
    batchSizes: [1, 10, 32],
    entries: { 1: 600, 10: 2000, 32: 2000 },
    primaryBatchSize: 10,
  },
  freshness: { samples: 60, warmup: 5 },
  search: {
    sizes: [10_000, 100_000],
    passagesPerEntry: 5,
    bodyWords: 150,
    queries: 150,
    warmup: 10,
    statusSamples: 100,
  },
  load: { writers: 20, opsPerWriter: 250, listeners: 5, bodyWords: 60 },
  seed: 20261123,
};

/** `--quick`: the same scenarios with small counts, for a smoke run. */
export const QUICK_PLAN: Plan = {
  quick: true,
  bodyWords: 300,
  write: { perMode: 30, warmup: 5, block: 10 },
  drain: { batchSizes: [10], entries: { 10: 100 }, primaryBatchSize: 10 },
  freshness: { samples: 6, warmup: 1 },
  search: {
    sizes: [1000],
    passagesPerEntry: 5,
    bodyWords: 150,
    queries: 15,
    warmup: 2,
    statusSamples: 20,
  },
  load: { writers: 4, opsPerWriter: 25, listeners: 2, bodyWords: 40 },
  seed: 20261123,
};

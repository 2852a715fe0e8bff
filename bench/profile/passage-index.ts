/**
 * Memory and query time of the in-isolate passage index (`BinaryCodes`: 1-bit sign codes, with
 * the entry and seq of each slot) at a given size:
 * `node --expose-gc --import tsx bench/profile/passage-index.ts [entries] [passages-per-entry] [dims]`
 * (default 100000 × 5 × 384, the issue's 100k entries with ~500k passage vectors). Runs in Node,
 * whose V8 does the same pure computation as workerd's; a deployed isolate has 128 MB in all.
 * Times the candidate stage (Hamming over every code, the best `rescoreDepth(50)` kept) and the
 * exact rescoring of those candidates from float32 vectors in memory; in the worker the
 * candidates' vectors come from D1 in one read (`getCommittedVectors`), timed by the bench's
 * search scenario, not here.
 */

import { mulberry32 } from "../../scripts/model/prng.js";
import { BinaryCodes } from "../../src/vectors/binary-codes.js";
import { rescore, rescoreDepth } from "../../src/vectors/rescore.js";
import { summarize } from "../lib/stats.js";

const entries = Number(process.argv[2] ?? 100_000);
const perEntry = Number(process.argv[3] ?? 5);
const dims = Number(process.argv[4] ?? 384);
/** Passages asked for by a semantic search of limit 10 (`rankByBestPassage`: 10 × 4 + 10). */
const K = 50;
const random = mulberry32(7);

function unit(): Float32Array {
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = random() * 2 - 1;
    norm += (v[i] as number) ** 2;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] = (v[i] as number) * scale;
  return v;
}

const used = () => {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
};
globalThis.gc?.();
const before = used();
const store = new BinaryCodes();
const vector = unit();
for (let e = 0; e < entries; e++) {
  for (let p = 0; p < perEntry; p++) {
    // A fresh vector per passage would dominate the run; the scan costs the same either way.
    for (let j = 0; j < 8; j++) vector[(e * 7 + p * 13 + j * 31) % dims] = random() * 2 - 1;
    store.put(`kb${e % 10}`, `entry-${e}`, p, 1, vector);
  }
}
globalThis.gc?.();
const held = used() - before;

const candidateTimes: number[] = [];
const rescoreTimes: number[] = [];
const depth = rescoreDepth(K);
const floats = Array.from({ length: depth }, unit);
for (let q = 0; q < 30; q++) {
  const query = unit();
  const started = performance.now();
  const candidates = store.candidates(query, depth);
  candidateTimes.push(performance.now() - started);
  const withVectors = candidates.map((c, i) => ({ ...c, vector: floats[i] ?? query }));
  const rescoring = performance.now();
  rescore(query, candidates, withVectors, K);
  rescoreTimes.push(performance.now() - rescoring);
}
const candidatesMs = summarize(candidateTimes);
const rescoreMs = summarize(rescoreTimes);
console.log(
  JSON.stringify({
    entries,
    passages: store.passages,
    dims,
    /** Heap and array buffers held by the index, keys included. */
    memory_mib: Math.round(held * 10) / 10,
    /** Of which the per-passage arrays (codes, entry and seq of each slot, with growth room). */
    arrays_mib: Math.round((store.bytes / 2 ** 20) * 10) / 10,
    int8_would_be_mib: Math.round(((store.passages * (dims + 12)) / 2 ** 20) * 10) / 10,
    rescore_depth: depth,
    candidates_ms: { p50: candidatesMs.p50, p95: candidatesMs.p95 },
    rescore_in_memory_ms: { p50: rescoreMs.p50, p95: rescoreMs.p95 },
  }),
);

/**
 * Memory and query time of the in-memory passage index (`PassageStore`, int8) at a given size:
 * `node --import tsx bench/profile/passage-index.ts [entries] [passages-per-entry] [dims]`
 * (default 100000 × 5 × 384, the 100k entries with ~500k passage vectors). Runs in Node,
 * whose V8 does the same pure computation as workerd's; a deployed isolate has 128 MB in all.
 * For comparison it also times a scan of 1-bit sign codes (32× smaller than int8), the candidate
 * stage of a binary index that would rerank its best few hundred with full vectors.
 */

import { mulberry32 } from "../../scripts/model/prng.js";
import { PassageStore } from "../../src/search/passage-store.js";
import { summarize } from "../lib/stats.js";

const entries = Number(process.argv[2] ?? 100_000);
const perEntry = Number(process.argv[3] ?? 5);
const dims = Number(process.argv[4] ?? 384);
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
const store = new PassageStore();
const vector = unit();
for (let e = 0; e < entries; e++) {
  for (let p = 0; p < perEntry; p++) {
    // A fresh vector per passage would dominate the run; the scan costs the same either way.
    vector[(e + p) % dims] = random() * 0.1;
    store.put(`kb${e % 10}`, `entry-${e}`, p, 1, vector);
  }
}
globalThis.gc?.();
const held = used() - before;
const times: number[] = [];
for (let q = 0; q < 30; q++) {
  const query = unit();
  const started = performance.now();
  store.search(query, 50);
  times.push(performance.now() - started);
}
const stats = summarize(times);

// 1-bit sign codes: one bit per dimension, compared by popcount of the XOR (Hamming distance).
const words = Math.ceil(dims / 32);
const codes = new Uint32Array(store.passages * words);
for (let i = 0; i < codes.length; i++) codes[i] = (random() * 2 ** 32) >>> 0;
const popcount = (x: number) => {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};
const binaryTimes: number[] = [];
for (let q = 0; q < 30; q++) {
  const query = codes.slice(q * words, (q + 1) * words);
  const started = performance.now();
  let best = Number.POSITIVE_INFINITY;
  for (let slot = 0; slot < store.passages; slot++) {
    let distance = 0;
    const base = slot * words;
    for (let w = 0; w < words; w++)
      distance += popcount((codes[base + w] as number) ^ (query[w] as number));
    if (distance < best) best = distance;
  }
  binaryTimes.push(performance.now() - started);
}
const binary = summarize(binaryTimes);
console.log(
  JSON.stringify({
    entries,
    passages: store.passages,
    dims,
    memory_mib: Math.round(held),
    search_ms: { p50: stats.p50, p95: stats.p95 },
    binary_codes_mib: Math.round(codes.byteLength / 2 ** 20),
    binary_scan_ms: { p50: binary.p50, p95: binary.p95 },
  }),
);

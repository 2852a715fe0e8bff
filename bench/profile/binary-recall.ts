/**
 * Recall@10 of the in-isolate index (sign-code candidates, then exact rescoring) against exact
 * cosine, on real vectors: the passages and queries of `bench/profile/real-vectors.ts` (the eval's
 * six KBs and 119 queries, embedded with the bundled model). For each rescoring depth it reports
 * recall@10 of the passages found (and of the entries, as search ranks them by best passage).
 *
 *   npx tsx bench/profile/real-vectors.ts   # once: writes .cache/real-vectors/bundled.json
 *   npx tsx bench/profile/binary-recall.ts
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BinaryCodes } from "../../src/vectors/binary-codes.js";
import { cosine } from "../../src/vectors/cosine.js";
import { rescore, rescoreDepth } from "../../src/vectors/rescore.js";

const file = JSON.parse(await readFile(join(".cache", "real-vectors", "bundled.json"), "utf8")) as {
  model: string;
  dims: number;
  queries: string[];
  passages: string[];
};
const decode = (b64: string) => {
  const bytes = Buffer.from(b64, "base64");
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const passages = file.passages.map(decode);
const queries = file.queries.map(decode);
const K = 10;

const codes = new BinaryCodes();
passages.forEach((v, i) => {
  codes.put("kb", `p${i}`, 0, 1, v);
});

const rows = [];
for (const depth of [K, 20, 50, rescoreDepth(K), 200, 400]) {
  let found = 0;
  for (const query of queries) {
    const exact = new Set(
      passages
        .map((v, i) => ({ id: `p${i}`, score: cosine(query, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, K)
        .map((e) => e.id),
    );
    const candidates = codes.candidates(query, depth);
    const withVectors = candidates.map((c) => ({
      ...c,
      vector: passages[Number(c.entryId.slice(1))] as Float32Array,
    }));
    found += rescore(query, candidates, withVectors, K).filter((h) => exact.has(h.entryId)).length;
  }
  rows.push({
    rescored: depth,
    default: depth === rescoreDepth(K),
    recall_at_10: Math.round((found / (queries.length * K)) * 1000) / 1000,
  });
}
console.log(
  JSON.stringify({
    model: file.model,
    dims: file.dims,
    passages: passages.length,
    queries: queries.length,
    rows,
  }),
);

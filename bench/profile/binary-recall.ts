/**
 * Recall@k of the in-isolate index (sign-code candidates, then exact rescoring) against exact
 * cosine, on real vectors: the passages and queries of `bench/profile/real-vectors.ts` (the eval's
 * six KBs and 119 queries, embedded with the bundled model). For each rescoring depth it reports
 * recall@k of the passages found (k = 10 by default; a limit-10 semantic search asks for 50).
 *
 *   npx tsx bench/profile/real-vectors.ts   # once: writes .cache/real-vectors/bundled.json
 *   npx tsx bench/profile/binary-recall.ts [k]
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
const K = Number(process.argv[2] ?? 10);

const codes = new BinaryCodes();
passages.forEach((v, i) => {
  codes.put("kb", `p${i}`, 0, 1, v);
});

const rows = [];
for (const depth of [...new Set([K, 2 * K, 5 * K, rescoreDepth(K), 10 * K, 20 * K, 40 * K])].sort(
  (a, b) => a - b,
)) {
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
    recall_at_k: Math.round((found / (queries.length * K)) * 1000) / 1000,
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

/**
 * Real passage and query vectors for the binary index's recall figure: the eval's six KBs of the
 * demo corpus split into passages as the worker splits them, and the eval's hand-written queries,
 * embedded with the bundled model (USE lite, 512 dims). Written once to
 * `.cache/real-vectors/bundled.json` (float32 as base64), read by `bench/profile/binary-recall.ts`.
 *
 *   npx tsx bench/profile/real-vectors.ts [corpus dir, default PYRITE_EVAL_CORPUS or the shared one]
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readKbs } from "../../src/import/read-kb.js";
import { createBundledEmbedder } from "../../src/node/bundled-embedder.js";
import { passageInput, splitEntry } from "../../src/passages/split.js";

const corpus =
  process.argv[2] ?? process.env.PYRITE_EVAL_CORPUS ?? "/work/shared/corpus/pyrite-kb-demo";
const out = join(".cache", "real-vectors", "bundled.json");
const set = JSON.parse(await readFile("bench/eval/queries.json", "utf8")) as {
  kbs: string[];
  queries: { query: string }[];
};

const embedder = await createBundledEmbedder();
const info = await embedder.info();
const texts: string[] = [];
for (const kb of await readKbs(set.kbs.map((name) => join(corpus, name)))) {
  for (const { entry } of kb.entries) {
    const passages = splitEntry(
      { title: entry.title, summary: entry.summary ?? "", body: entry.body ?? "" },
      { windowTokens: info.maxTokens, tokensPerWord: info.tokensPerWord, passages: true },
    );
    for (const p of passages) texts.push(passageInput(p));
  }
}
const encode = (vectors: Float32Array[]) =>
  vectors.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64"));
const embedAll = async (all: string[]) => {
  const vectors: Float32Array[] = [];
  for (let i = 0; i < all.length; i += 32) {
    vectors.push(...(await embedder.embed(all.slice(i, i + 32))).vectors);
    process.stderr.write(`\r${vectors.length}/${all.length}`);
  }
  process.stderr.write("\n");
  return vectors;
};
const queries = await embedAll(set.queries.map((q) => q.query));
const passages = await embedAll(texts);
await mkdir(join(".cache", "real-vectors"), { recursive: true });
await writeFile(
  out,
  JSON.stringify({
    model: "bundled",
    dims: info.model.dims,
    queries: encode(queries),
    passages: encode(passages),
  }),
);
console.log(`${passages.length} passages, ${queries.length} queries → ${out}`);

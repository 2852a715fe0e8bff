/**
 * The export round trip on real KB folders (the shared corpus, say): imports each KB, exports it
 * with `exportKb`, imports the export into `<kb>-rt`, and compares the two KBs entry by entry.
 * Prints the figures; exits 1 on any difference. Needs a running server.
 *
 *   tsx scripts/export-roundtrip.ts --url http://127.0.0.1:8787 /work/shared/corpus/pyrite-kb-demo
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ApiClient } from "../src/cli/client.js";
import { exportKb } from "../src/export/export-kb.js";
import { diffEntries } from "../src/export/round-trip.js";
import { httpSender } from "../src/import/http-sender.js";
import { importKbs } from "../src/import/import-kbs.js";
import { readKbs } from "../src/import/read-kb.js";
import { httpRemote } from "../src/sync/remote.js";

const { values, positionals } = parseArgs({
  options: { url: { type: "string", default: "http://127.0.0.1:8787" } },
  allowPositionals: true,
});
const client = new ApiClient({ url: values.url, token: process.env.PYRITE_TOKEN });
const remote = httpRemote(client);
const send = httpSender(client.urlOf("/api/entries/batch"), client.headers());
const started = Date.now();
const work = await mkdtemp(path.join(tmpdir(), "pyrite-roundtrip-"));
let entries = 0;
let differences = 0;
const kbs = await readKbs(positionals);
for (const kb of kbs) {
  await importKbs([kb], { send, mode: "upsert", dryRun: false });
  const original = [...(await remote.list(kb.name)).values()].map((r) => r.entry);
  const dir = path.join(work, kb.name);
  await exportKb(kb.name, original, dir);
  const again = await readKbs([dir], { kb: `${kb.name}-rt` });
  await importKbs(again, { send, mode: "upsert", dryRun: false });
  const back = [...(await remote.list(`${kb.name}-rt`)).values()].map((r) => r.entry);
  const diff = diffEntries(original, back);
  entries += original.length;
  differences += diff.length;
  console.log(
    `${kb.name.padEnd(16)} ${String(original.length).padStart(5)} entries  ${diff.length} differences`,
  );
  for (const d of diff.slice(0, 5)) console.log(`  ${d.id} ${d.field}: ${d.a} ≠ ${d.b}`);
}
await rm(work, { recursive: true, force: true });
console.log(
  `${kbs.length} KBs, ${entries} entries: ${differences} differences (${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
process.exit(differences === 0 ? 0 : 1);

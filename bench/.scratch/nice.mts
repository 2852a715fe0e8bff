import { readdirSync } from "node:fs";
import { setPriority } from "node:os";
import { ApiClient, waitForDrain } from "../lib/client.js";
import { makeEntry } from "../lib/corpus.js";
import { startServers } from "../lib/server.js";
import { summarize } from "../lib/stats.js";
import { bundleWorker } from "../../src/server/bundle.js";
await bundleWorker();
const nice = Number(process.env.NICE ?? 10);
const model = "/work/main/.cache/models/pyrite-test-minilm";
const [off, bg, bgn] = await startServers([
  { stateDir: `/tmp/bench-try/n-off-${Date.now()}`, modelDir: model, vars: { EMBED_MODE: "off" } },
  { stateDir: `/tmp/bench-try/n-bg-${Date.now()}`, modelDir: model, vars: { EMBED_MODE: "background" } },
  { stateDir: `/tmp/bench-try/n-bgn-${Date.now()}`, modelDir: model, vars: { EMBED_MODE: "background" } },
]);
for (const tid of readdirSync(`/proc/${bgn!.pid}/task`)) setPriority(Number(tid), nice);
const apis = { off: new ApiClient(off!.url), bg: new ApiClient(bg!.url), bgn: new ApiClient(bgn!.url) };
const samples: Record<string, number[]> = { off: [], bg: [], bgn: [] };
let n = 0;
for (let round = 0; round < 6; round++) {
  for (const [name, api] of Object.entries(apis)) {
    for (let i = 0; i < 25; i++) {
      const a = await api.call("POST", "/api/entries", { kb: "x", ...makeEntry(1, n++, 300) });
      if (round > 0) samples[name]!.push(a.ms);
    }
    if (name !== "off") await waitForDrain(api, { timeoutMs: 120000 });
  }
}
for (const [k, v] of Object.entries(samples)) console.log(k, JSON.stringify(summarize(v)));
for (const a of Object.values(apis)) a.close();
await Promise.all([off!.stop(), bg!.stop(), bgn!.stop()]);
process.exit(0);

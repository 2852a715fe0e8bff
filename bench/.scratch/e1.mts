import { join } from "node:path";
import { ApiClient, waitForDrain } from "../lib/client.js";
import { bulkCreate } from "../lib/bulk.js";
import { makeEntry } from "../lib/corpus.js";
import { startServers } from "../lib/server.js";
import { summarize } from "../lib/stats.js";
import { bundleWorker } from "../../src/server/bundle.js";
await bundleWorker();
const model = "/work/main/.cache/models/pyrite-test-minilm";
const profile = "/work/main/bench/profile/serve.ts";
const configs: Record<string, Record<string, string>> = JSON.parse(process.env.CONFIGS ?? "{}");
const names = ["off", ...Object.keys(configs)];
const t = Date.now();
const servers = await startServers([
  { stateDir: `/tmp/bench-try/e-off-${t}`, modelDir: model, vars: { EMBED_MODE: "off" } },
  ...Object.entries(configs).map(([name, vars]) => ({ stateDir: `/tmp/bench-try/e-${name}-${t}`, modelDir: model, vars: { EMBED_MODE: "background", ...vars }, script: vars.REAL ? undefined : profile })),
]);
const apis = servers.map((s) => new ApiClient(s.url));
const samples: number[][] = names.map(() => []);
let n = 0;
for (let round = 0; round < 7; round++) {
  for (const [k, api] of apis.entries()) {
    for (let i = 0; i < 25; i++) {
      const a = await api.call("POST", "/api/entries", { kb: "x", ...makeEntry(1, n++, 300) });
      if (a.status !== 201) throw new Error(String(a.status));
      if (round > 0) samples[k]!.push(a.ms);
    }
    if (k > 0) await waitForDrain(api, { timeoutMs: 120000 });
  }
}
for (const [k, name] of names.entries()) { const s = summarize(samples[k]!); console.log(name.padEnd(10), "p50", s.p50, "p95", s.p95); }
if (process.env.DRAIN) {
  for (const [k, api] of apis.entries()) {
    if (k === 0) continue;
    await api.json("POST", "/api/index/embed/pause");
    await bulkCreate(api, "d", 300, (i) => makeEntry(2, i, 300, "d"));
    const t0 = performance.now();
    await api.json("POST", "/api/index/embed/resume");
    await waitForDrain(api, { timeoutMs: 300000, pollMs: 100 });
    console.log(names[k], "drain", (300 / ((performance.now() - t0) / 1000)).toFixed(1), "entries/s");
  }
}
for (const a of apis) a.close();
await Promise.all(servers.map((s) => s.stop()));
process.exit(0);

import { ApiClient, waitForDrain } from "../lib/client.js";
import { makeEntry } from "../lib/corpus.js";
import { loadRawEmbedder } from "../lib/raw-embedder.js";
import { summarize } from "../lib/stats.js";
import { idleEmbedder, launchProfiled } from "../profile/harness.js";
const raw = await loadRawEmbedder("/work/main/.cache/models/pyrite-test-minilm");
const servers = {
  off: await launchProfiled({ vars: { EMBED_MODE: "off" }, embedder: raw }),
  paused: await launchProfiled({ vars: { EMBED_MODE: "background" }, embedder: raw }),
  idle30: await launchProfiled({ vars: { EMBED_MODE: "background" }, embedder: idleEmbedder(raw, 30) }),
  idle0: await launchProfiled({ vars: { EMBED_MODE: "background" }, embedder: idleEmbedder(raw, 0) }),
};
const apis = Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, new ApiClient(s.url)]));
await apis.paused!.json("POST", "/api/index/embed/pause");
const samples: Record<string, number[]> = {};
let n = 0;
const gap = Number(process.env.GAP ?? 0);
for (let round = 0; round < 8; round++) {
  for (const [name, api] of Object.entries(apis)) {
    samples[name] ??= [];
    for (let i = 0; i < 25; i++) {
      const a = await api.call("POST", "/api/entries", { kb: "x", ...makeEntry(1, n++, 300) });
      if (a.status !== 201) throw new Error(String(a.status));
      if (round > 0) samples[name]!.push(a.ms);
      if (gap) await new Promise((d) => setTimeout(d, gap));
    }
    if (name.startsWith("idle")) await waitForDrain(api, { timeoutMs: 120000 });
  }
}
for (const [k, v] of Object.entries(samples)) console.log(k, JSON.stringify(summarize(v)));
for (const a of Object.values(apis)) a.close();
await Promise.all(Object.values(servers).map((s) => s.stop()));
process.exit(0);

import { ApiClient, waitForDrain } from "../lib/client.js";
import { makeEntry } from "../lib/corpus.js";
import { loadRawEmbedder } from "../lib/raw-embedder.js";
import { summarize } from "../lib/stats.js";
import { idleEmbedder, launchProfiled, timedEmbedder, type EmbedCall } from "../profile/harness.js";
const raw = await loadRawEmbedder("/work/main/.cache/models/pyrite-test-minilm");
const calls: EmbedCall[] = [];
const delay = Number(process.env.DELAY ?? 30);
const off = await launchProfiled({ vars: { EMBED_MODE: "off" }, embedder: raw });
const real = await launchProfiled({ vars: { EMBED_MODE: "background" }, embedder: timedEmbedder(raw, calls) });
const idle = await launchProfiled({ vars: { EMBED_MODE: "background" }, embedder: idleEmbedder(raw, delay) });
const apis = { off: new ApiClient(off.url), real: new ApiClient(real.url), idle: new ApiClient(idle.url) };
const samples: Record<string, number[]> = { off: [], real: [], idle: [] };
let n = 0;
for (let round = 0; round < 6; round++) {
  for (const [name, api] of Object.entries(apis)) {
    for (let i = 0; i < 25; i++) {
      const a = await api.call("POST", "/api/entries", { kb: "x", ...makeEntry(1, n++, 300) });
      if (a.status !== 201) throw new Error(String(a.status));
      if (round > 0) samples[name]!.push(a.ms);
    }
    if (name !== "off") await waitForDrain(api, { timeoutMs: 120000 });
  }
}
for (const [k, v] of Object.entries(samples)) console.log(k, JSON.stringify(summarize(v)));
console.log("embed calls", calls.length, "texts", calls.reduce((a, c) => a + c.texts, 0), "ms per call", JSON.stringify(summarize(calls.map((c) => c.finished - c.started))));
for (const a of Object.values(apis)) a.close();
await Promise.all([off.stop(), real.stop(), idle.stop()]);
process.exit(0);

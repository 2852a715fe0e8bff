/**
 * Where the time between a write's acknowledgement and its `embed_complete` goes, on an idle
 * system: `node --import tsx bench/profile/freshness.ts [samples]`. Runs the profiling harness
 * (embedder in this process, timed from Node) and splits each sample into
 *   ack → embed call   (waitUntil notify, kick, alarm, lease sweep, claim, entry read, request)
 *   embed              (tokenize + onnxruntime, the raw cost)
 *   embed → event      (response, vector decode, commit batch, run record, broadcast, WebSocket)
 */

import { generateTestModel } from "../../scripts/model/generate.js";
import { ok } from "../../src/contract/client.js";
import { embeddedText } from "../../src/domain/content.js";
import { createTransformersEmbedder } from "../../src/node/transformers-embedder.js";
import { BenchClient, waitForDrain } from "../lib/client.js";
import { makeEntry } from "../lib/corpus.js";
import { EventListener } from "../lib/events.js";
import { summarize } from "../lib/stats.js";
import { type EmbedCall, idleEmbedder, launchProfiled, timedEmbedder } from "./harness.js";

const samples = Number(process.argv[2] ?? 30);
const model = await generateTestModel({ size: "minilm" });
const embedder = await createTransformersEmbedder({ model: model.dir, quantized: true });
await embedder.embed(["warm up"]);
const idle = /^idle:(\d+)$/.exec(process.argv[3] ?? "");
const calls: EmbedCall[] = [];
const system = await launchProfiled({
  vars: { EMBED_MODE: "background" },
  embedder: timedEmbedder(idle ? idleEmbedder(embedder, Number(idle[1])) : embedder, calls),
});
const api = new BenchClient(system.url);
const listener = await EventListener.connect(system.url);
const parts = {
  ackToCall: [] as number[],
  embed: [] as number[],
  callToEvent: [] as number[],
  total: [] as number[],
};
for (let i = 0; i < samples + 3; i++) {
  const entry = makeEntry(11, i, 300, "p");
  const before = calls.length;
  await ok(api.http.api.entries.$post({ json: { kb: "profile", ...entry } }));
  const ack = performance.now();
  const event = await listener.waitFor(
    (m) => m.type === "embed_complete" && m.entry_id === entry.id,
    60_000,
  );
  const call = calls[before];
  if (i >= 3 && call && calls.length === before + 1) {
    parts.ackToCall.push(call.started - ack);
    parts.embed.push(call.finished - call.started);
    parts.callToEvent.push(event.at - call.finished);
    parts.total.push(event.at - ack);
  }
  await waitForDrain(api, { timeoutMs: 60_000 });
  await new Promise((done) => setTimeout(done, 100));
}
const text = embeddedText(makeEntry(11, 0, 300, "p"));
for (const [name, values] of Object.entries(parts)) {
  const s = summarize(values);
  console.log(
    `${name.padEnd(12)} p50 ${s.p50.toFixed(1).padStart(7)} ms   p95 ${s.p95.toFixed(1).padStart(7)} ms`,
  );
}
console.log(`(${parts.total.length} samples; embedded text ${text.length} chars)`);
await listener.close();
api.close();
await system.stop();
process.exit(0);

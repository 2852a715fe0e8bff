import { ApiClient } from "../lib/client.js";
import { makeQueries } from "../lib/corpus.js";
import { startServer } from "../lib/server.js";
import { summarize } from "../lib/stats.js";
const state = process.argv[2]!;
const server = await startServer({ stateDir: state, modelDir: "/work/main/.cache/models/pyrite-test-minilm", vars: { EMBED_MODE: "background" } });
const api = new ApiClient(server.url);
const qs = makeQueries(5, 60);
const t0 = performance.now();
await api.call("GET", `/api/search?q=x&mode=semantic&limit=10`);
console.log("cold", (performance.now() - t0).toFixed(0));
for (const mode of ["semantic", "keyword", "hybrid"]) {
  const ms: number[] = [];
  for (const q of qs) ms.push((await api.call("GET", `/api/search?q=${encodeURIComponent(q)}&mode=${mode}&limit=10`)).ms);
  console.log(mode, JSON.stringify(summarize(ms.slice(5))));
}
const st: number[] = [];
for (let i = 0; i < 30; i++) st.push((await api.call("GET", "/api/index/embed-status")).ms);
console.log("status", JSON.stringify(summarize(st.slice(5))));
api.close();
await server.stop();
process.exit(0);

/**
 * A profiling server process: `node --import tsx bench/profile/serve.ts --state DIR`, started
 * by lib/server.ts like the real one, running the profiling harness with knobs the real launcher
 * does not expose, from the environment: PROFILE_THREADS (onnxruntime intra-op threads),
 * PROFILE_NICE (nice value given to every thread of this process once workerd runs, so the
 * embedder yields the CPU to workerd), PROFILE_EMBEDDER=idle:<ms> (no CPU, answers after <ms>).
 * Prints `listening on <url>` like `npm start`; stops on SIGTERM.
 */
import { readdirSync } from "node:fs";
import { setPriority } from "node:os";
import { parseArgs } from "node:util";
import { createTransformersEmbedder } from "../../src/node/transformers-embedder.js";
import { idleEmbedder, launchProfiled } from "./harness.js";

const { values } = parseArgs({
  options: {
    state: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
  },
});
const env = process.env;
const vars: Record<string, string> = {};
for (const [key, value] of Object.entries(env)) {
  if (key.startsWith("EMBED_") && value !== undefined) vars[key] = value;
}
const model = await createTransformersEmbedder({
  model: env.PYRITE_MODEL ?? "",
  quantized: true,
  threads: Number(env.PROFILE_THREADS ?? 2),
});
const idle = /^idle:(\d+)$/.exec(env.PROFILE_EMBEDDER ?? "");
const embedder = idle ? idleEmbedder(model, Number(idle[1])) : model;
const system = await launchProfiled({ vars, embedder, stateDir: values.state });
const nice = Number(env.PROFILE_NICE ?? 0);
if (nice > 0) {
  // workerd is already running (at the default priority); only this process's threads yield.
  for (const tid of readdirSync("/proc/self/task")) setPriority(Number(tid), nice);
}
process.stdout.write(`pyrite-edge (profile) listening on ${system.url}\n`);
process.once("SIGTERM", () => {
  system.stop().then(() => process.exit(0));
});

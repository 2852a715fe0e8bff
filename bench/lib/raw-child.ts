/**
 * The raw-embedder baseline's process (forked by raw-embedder.ts): the same transformers.js
 * embedder the server runs (same model directory, q8, same threads), at the same CPU priority the
 * launcher gives its embedder, timed here with no HTTP, D1, Durable Object or service binding in
 * between. Answers requests over the IPC channel.
 */

import {
  createTransformersEmbedder,
  DEFAULT_THREADS,
} from "../../src/node/transformers-embedder.js";
import { embedderNice, lowerOwnPriority } from "../../src/server/embedder-priority.js";
import type { RawReply, RawRequest } from "./raw-protocol.js";

async function main(): Promise<void> {
  // Before the model loads, so onnxruntime's threads are created at this priority too.
  lowerOwnPriority(embedderNice(process.env.PYRITE_EMBEDDER_NICE));
  const embedder = await createTransformersEmbedder({
    model: process.env.PYRITE_MODEL ?? "",
    quantized: true,
    threads: DEFAULT_THREADS,
  });
  // The first calls pay for graph optimisation and allocation: not part of steady state.
  await embedder.embed(["warm up"]);
  await embedder.embed(Array.from({ length: 4 }, (_, i) => `warm up the embedder ${i}`));
  const reply = (message: RawReply) => process.send?.(message);
  process.on("message", (message: RawRequest) => {
    const run = async (): Promise<RawReply> => {
      if (message.kind === "info") return { id: message.id, kind: "info", info: embedder.infoSync };
      if (message.kind === "throughput") {
        const started = performance.now();
        for (let i = 0; i < message.texts.length; i += message.batchSize) {
          await embedder.embed(message.texts.slice(i, i + message.batchSize));
        }
        return { id: message.id, kind: "elapsed", ms: performance.now() - started };
      }
      const started = performance.now();
      await embedder.embed([message.text]);
      return { id: message.id, kind: "elapsed", ms: performance.now() - started };
    };
    run().then(reply, (error: unknown) =>
      reply({
        id: message.id,
        kind: "error",
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  });
  reply({ id: 0, kind: "ready" });
}

main().catch((error: unknown) => {
  process.stderr.write(`raw embedder: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

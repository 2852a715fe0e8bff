/**
 * CLI: `tsx scripts/generate-test-model.ts --size tiny|minilm [--out DIR]`. Writes a BERT
 * sentence-embedding model with seeded random weights in the Hub's layout; a no-op when current.
 */
import { parseArgs } from "node:util";
import { generateTestModel } from "./model/generate.js";
import { isModelSize } from "./model/spec.js";

const USAGE = "usage: tsx scripts/generate-test-model.ts --size tiny|minilm [--out DIR]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "tiny" },
      out: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const size = values.size ?? "tiny";
  if (!isModelSize(size)) throw new Error(`unknown size "${size}"\n${USAGE}`);
  const started = performance.now();
  const result = await generateTestModel({ size, outDir: values.out });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    result.generated
      ? `generated ${size} model in ${result.dir} (${seconds} s)`
      : `${size} model is current: ${result.dir}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

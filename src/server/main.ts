/**
 * `npm start` (`tsx src/server/main.ts [--port N] [--host H] [--state DIR] [--no-worker]`):
 * the local server. `pyrite serve` runs the same {@link serve}.
 */
import { Command, CommanderError } from "commander";
import { serve } from "./serve.js";
import { type ServeOptions, withServeFlags } from "./serve-flags.js";

const program = withServeFlags(
  new Command("pyrite-server").description(
    "Runs pyrite-edge locally: the worker on workerd, the embedder in Node",
  ),
)
  .exitOverride()
  .action((options: ServeOptions) => serve(options));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.stderr.write(`pyrite: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

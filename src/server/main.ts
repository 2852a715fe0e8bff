/**
 * `npm start` (`tsx src/server/main.ts [--port N] [--host H] [--state DIR] [--no-worker]`):
 * the local server. `pyrite serve` runs the same {@link serve}.
 */
import { Command, CommanderError } from "commander";
import { serve } from "./serve.js";

const program = new Command("pyrite-server")
  .description("Runs pyrite-edge locally: the worker on workerd, the embedder in Node")
  .option("--port <port>", "port to listen on (default PORT or 8787)")
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--state <dir>", "state directory (default PYRITE_STATE_DIR or .wrangler/state)")
  .option("--no-worker", "no background worker: writes embed synchronously (EMBED_MODE=sync)")
  .exitOverride()
  .action((options: { port?: string; host: string; state?: string; worker: boolean }) =>
    serve(options),
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.stderr.write(`pyrite: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

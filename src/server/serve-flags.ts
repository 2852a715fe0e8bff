/**
 * The flags of the local server, declared once for both ways to start it: `npm start`
 * (server/main.ts) and `pyrite serve` (cli/commands/serve.ts). Imports nothing of the server, so
 * the CLI can declare them without loading wrangler and Miniflare.
 */
import type { Command } from "commander";

/** What the flags parse to. */
export interface ServeOptions {
  port?: string;
  host?: string;
  state?: string;
  /** False with `--no-worker`. */
  worker: boolean;
}

/** Adds the server's flags to `command`. */
export function withServeFlags(command: Command): Command {
  return command
    .option("--port <port>", "port to listen on (default PORT or 8787)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--state <dir>", "state directory (default PYRITE_STATE_DIR or .wrangler/state)")
    .option("--no-worker", "no background worker: writes embed synchronously (EMBED_MODE=sync)");
}

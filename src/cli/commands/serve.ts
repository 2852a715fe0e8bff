/** `serve [--port] [--host] [--state] [--no-worker]`: the same server as `npm start`. */
import type { Command } from "commander";

/** Registers `serve`. */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run the local server (the worker on workerd, the embedder in Node)")
    .option("--port <port>", "port to listen on (default PORT or 8787)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--state <dir>", "state directory (default PYRITE_STATE_DIR or .wrangler/state)")
    .option("--no-worker", "no background worker: writes embed synchronously (EMBED_MODE=sync)")
    .action(async (options: { port?: string; host: string; state?: string; worker: boolean }) => {
      // Loaded only here: the server pulls in wrangler and Miniflare, which other commands don't need.
      const { serve } = await import("../../server/serve.js");
      await serve(options);
      // Runs until a signal: the server's own handlers drain and exit the process.
      await new Promise<never>(() => undefined);
    });
}

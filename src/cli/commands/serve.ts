/** `serve [--port] [--host] [--state] [--no-worker]`: the same server as `npm start`. */
import type { Command } from "commander";
import { type ServeOptions, withServeFlags } from "../../server/serve-flags.js";

/** Registers `serve`. */
export function registerServeCommand(program: Command): void {
  withServeFlags(
    program
      .command("serve")
      .description("run the local server (the worker on workerd, the embedder in Node)"),
  ).action(async (options: ServeOptions) => {
    // Loaded only here: the server pulls in wrangler and Miniflare, which other commands don't need.
    const { serve } = await import("../../server/serve.js");
    await serve(options);
    // Runs until a signal: the server's own handlers drain and exit the process.
    await new Promise<never>(() => undefined);
  });
}

/** `watch [--kb]`: prints events as they come, until Ctrl-C. Reconnects if the server restarts. */
import type { Command } from "commander";
import type { ServerMessage } from "../../shared/messages.js";
import { clientOf, globals } from "../context.js";
import { CliError } from "../errors.js";
import { subscribe } from "../events.js";
import { note, println } from "../output.js";

const RECONNECT_MS = 2000;

function describe(message: ServerMessage): string {
  const time = new Date().toISOString().slice(11, 19);
  switch (message.type) {
    case "hello":
      return `${time} subscribed to ${message.kb_name ?? "all knowledge bases"}`;
    case "pong":
      return `${time} pong`;
    case "embed_failed":
      return `${time} embed_failed   ${message.kb_name}/${message.entry_id} after ${message.attempts} attempt(s): ${message.error}`;
    case "embed_complete":
      return `${time} embed_complete ${message.kb_name}/${message.entry_id} (${message.model}, attempt ${message.attempts})`;
    case "model_switched":
      return `${time} model_switched ${message.previous ?? "-"} → ${message.model} (${message.reason}, ${message.coverage.embedded}/${message.coverage.entries} entries embedded)`;
    default:
      return `${time} ${message.type.padEnd(14)} ${message.kb_name}/${message.entry_id}`;
  }
}

/** Registers `watch`. */
export function registerWatchCommand(program: Command): void {
  program
    .command("watch")
    .description("print entry and embedding events as they happen (Ctrl-C to stop)")
    .option("--kb <kb>", "only this knowledge base")
    .action(async (options: { kb?: string }, command: Command) => {
      const client = clientOf(command);
      const json = globals(command).json;
      // Ctrl-C is how watching ends: a normal exit, not an interrupted one.
      process.once("SIGINT", () => process.exit(0));
      let connectedOnce = false;
      for (;;) {
        try {
          const stream = await subscribe(client, options.kb, (message) => {
            if (message.type === "pong") return;
            println(json ? JSON.stringify(message) : describe(message));
          });
          connectedOnce = true;
          await stream.closed;
          note(`connection closed; reconnecting to ${client.connection.url}…`);
        } catch (error) {
          // The first connection must work; later ones are retried while the server restarts.
          if (!connectedOnce || !(error instanceof CliError)) throw error;
        }
        await new Promise((done) => setTimeout(done, RECONNECT_MS));
      }
    });
}

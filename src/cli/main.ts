/**
 * The `pyrite` CLI: a small fetch/WebSocket wrapper over the HTTP API. Exit codes: 0 ok,
 * 1 failed operation (the API's message is printed), 2 usage error.
 */
import { Command, CommanderError, Option } from "commander";
import { registerEntryCommands } from "./commands/entries.js";
import { registerExportCommand } from "./commands/export.js";
import { registerImportCommand } from "./commands/import.js";
import { registerIndexCommands } from "./commands/index-embed.js";
import { registerSearchCommand } from "./commands/search.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerSyncCommand } from "./commands/sync.js";
import { registerWatchCommand } from "./commands/watch.js";
import { DEFAULT_URL } from "./context.js";
import { CliError, EXIT } from "./errors.js";
import { note } from "./output.js";

/** Builds the program (exported for tests that inspect it). */
export function buildProgram(): Command {
  const program = new Command("pyrite")
    .description("pyrite-edge: knowledge-base entries whose embeddings stay fresh")
    .version("0.1.0")
    // Before any subcommand is added, so every subcommand inherits it: usage errors are thrown,
    // then mapped to exit code 2 below.
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .addOption(new Option("--url <url>", `server URL (env PYRITE_URL, default ${DEFAULT_URL})`))
    .addOption(
      new Option("--token <token>", "API token, sent as a bearer token (env PYRITE_TOKEN)"),
    )
    .option("--json", "machine-readable JSON output");
  registerServeCommand(program);
  registerEntryCommands(program);
  registerSearchCommand(program);
  registerIndexCommands(program);
  registerWatchCommand(program);
  registerImportCommand(program);
  registerSyncCommand(program);
  registerExportCommand(program);
  return program;
}

/** Runs the CLI on `argv` and resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "fail" with code 0; everything else commander throws is a usage error
      // (it has already printed the message).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      note(`pyrite: ${error.message}`);
      return error.exitCode;
    }
    note(`pyrite: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  }
}

// `serve` never returns here: its signal handlers end the process.
process.exit(await run(process.argv));

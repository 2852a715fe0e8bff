/**
 * `npm start` and `pyrite serve`: launches the server, prints what runs where, and stops it
 * gracefully on SIGINT/SIGTERM. Start-up problems are one line on stderr and exit 1.
 */
import { resolve } from "node:path";
import { oneLine, StartupError } from "./errors.js";
import { launchServer, type RunningServer } from "./launch.js";
import { DEFAULT_STATE_DIR } from "./paths.js";
import type { ServeOptions } from "./serve-flags.js";
import { claimSignals } from "./signals.js";

const DEFAULT_PORT = 8787;
const REPEAT_WINDOW_MS = 1000;

/** The port from `--port`, then PORT, then 8787; a usage error if it isn't one. */
function parsePort(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupError(`invalid port: ${value}`);
  }
  return port;
}

function describe(server: RunningServer, stateDir: string): string[] {
  const { status, vars } = server;
  // Said either way: a reader must never have to guess whether search understands meaning.
  const semantic = `  (semantic: ${status.semantic})`;
  const lines = [
    `pyrite-edge listening on ${server.url}`,
    `  embedder:   ${status.provider ?? server.embedder.info.provider} ${status.model ?? server.embedder.info.model.id}${semantic}`,
    `  EMBED_MODE: ${vars.EMBED_MODE ?? "background"}`,
    `  state:      ${stateDir}`,
  ];
  if (server.embedder.warning) {
    lines.push(
      "  WARNING: no semantic model; search is lexical (hash embedder). See the warning above.",
    );
  }
  if (status.worker.state === "paused") {
    lines.push(
      "  worker:     paused (by a user before the last stop); `pyrite index resume` resumes it",
    );
  }
  if (vars.PYRITE_API_TOKEN) lines.push("  auth:       bearer token required (PYRITE_API_TOKEN)");
  return lines;
}

/** Runs the server until a signal; resolves never (the process exits). */
export async function serve(options: ServeOptions): Promise<void> {
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  let server: RunningServer | undefined;
  let signals = 0;
  let lastSignalAt = 0;
  let stopRequested = false;

  const stop = (running: RunningServer) => {
    running.stop().then(
      (report) => {
        if (report.drained) {
          warn("pyrite: stopped; nothing left processing");
          process.exit(0);
        }
        warn(
          `pyrite: stopped with ${report.processing} row(s) still processing; their leases recover on the next start`,
        );
        process.exit(1);
      },
      (error: unknown) => {
        warn(`pyrite: stop failed: ${oneLine(error)}`);
        process.exit(1);
      },
    );
  };
  // Installed before start-up: a signal that arrives while starting must still dispose workerd.
  const onSignal = (signal: NodeJS.Signals) => {
    // npm and tsx forward the terminal's Ctrl-C to a process that already got it from the
    // terminal: a repeat within a second is the same Ctrl-C, not an impatient second one.
    if (Date.now() - lastSignalAt < REPEAT_WINDOW_MS) return;
    lastSignalAt = Date.now();
    signals += 1;
    if (signals > 1) {
      warn(`pyrite: ${signal} again: exiting without draining (leases recover on the next start)`);
      process.exit(1);
    }
    stopRequested = true;
    if (server === undefined) return;
    warn(`pyrite: ${signal}: pausing the embed worker and draining…`);
    stop(server);
  };
  claimSignals(onSignal);

  const stateDir = resolve(options.state ?? process.env.PYRITE_STATE_DIR ?? DEFAULT_STATE_DIR);
  try {
    server = await launchServer({
      host: options.host ?? "127.0.0.1",
      port: parsePort(options.port ?? process.env.PORT),
      stateDir,
      noWorker: !options.worker,
      env: process.env,
      warn,
    });
  } catch (error) {
    // A StartupError is the user's to fix; anything else is still one line, never a stack trace.
    warn(
      `pyrite: ${error instanceof StartupError ? error.message : `start-up failed: ${oneLine(error)}`}`,
    );
    process.exit(1);
  }
  process.stdout.write(`${describe(server, stateDir).join("\n")}\n`);
  if (stopRequested) {
    warn("pyrite: stop requested during start-up: pausing the embed worker and draining…");
    stop(server);
  }
}

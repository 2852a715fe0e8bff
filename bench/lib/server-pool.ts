/**
 * Servers started ahead of need: every scenario's server is started at the beginning, all at once
 * (an idle server costs no CPU), so the run does not wait for one start after another. A scenario
 * takes its server by name; the pool stops whatever is left at the end.
 */
import { join } from "node:path";
import { type BenchServer, startServer } from "./server.js";

/** Named servers, each with its own state directory under the run's work directory. */
export class ServerPool {
  private readonly servers = new Map<string, Promise<BenchServer>>();

  constructor(
    private readonly modelDir: string,
    private readonly workDir: string,
  ) {}

  /** The state directory of server `name`. */
  stateDir(name: string): string {
    return join(this.workDir, name);
  }

  /** Starts server `name` with `vars` in the background (if not already started). */
  prepare(name: string, vars: Record<string, string>): void {
    if (this.servers.has(name)) return;
    const starting = startServer({ stateDir: this.stateDir(name), modelDir: this.modelDir, vars });
    // A failure surfaces when the server is taken; until then it must not be "unhandled".
    starting.catch(() => undefined);
    this.servers.set(name, starting);
  }

  /** Server `name`, started now with `vars` unless it was prepared. */
  take(name: string, vars: Record<string, string>): Promise<BenchServer> {
    this.prepare(name, vars);
    const server = this.servers.get(name);
    if (!server) throw new Error(`no server ${name}`);
    return server;
  }

  /** Stops server `name` (a later `take` starts a new one on the same state). */
  async release(name: string): Promise<void> {
    const server = this.servers.get(name);
    this.servers.delete(name);
    await server?.then(
      (s) => s.stop(),
      () => undefined,
    );
  }

  /** Stops every server. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((name) => this.release(name)));
  }
}

/**
 * Which server each scenario uses. The primary batch size's drain, the freshness run and the load
 * test share one background server ("main"), in separate KBs, one after another.
 */
import type { Plan } from "./plan.js";

/** A named server and the `[vars]` it runs with. */
export interface ServerSpec {
  name: string;
  vars: Record<string, string>;
}

/** The shared background server at the default (primary) batch size. */
export function mainServer(plan: Plan): ServerSpec {
  return {
    name: "main",
    vars: { EMBED_MODE: "background", EMBED_BATCH_SIZE: String(plan.drain.primaryBatchSize) },
  };
}

/** The server that drains at `batchSize`. */
export function drainServer(plan: Plan, batchSize: number): ServerSpec {
  if (batchSize === plan.drain.primaryBatchSize) return mainServer(plan);
  return {
    name: `drain-${batchSize}`,
    vars: { EMBED_MODE: "background", EMBED_BATCH_SIZE: String(batchSize) },
  };
}

/** The write-latency servers, one per EMBED_MODE. */
export function writeServers(): Record<"off" | "background" | "sync", ServerSpec> {
  return {
    off: { name: "write-off", vars: { EMBED_MODE: "off" } },
    background: { name: "write-background", vars: { EMBED_MODE: "background" } },
    sync: { name: "write-sync", vars: { EMBED_MODE: "sync" } },
  };
}

/** The search scenario's server (it restarts it itself on the same state). */
export function searchServer(): ServerSpec {
  return { name: "search", vars: { EMBED_MODE: "background" } };
}

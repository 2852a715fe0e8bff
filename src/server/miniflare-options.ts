/**
 * Turns wrangler.toml into Miniflare options (through wrangler's own translation, so bindings are
 * never restated here), then applies what the launcher decides: the bundled script, the state
 * directory, the listening address, environment overrides of `[vars]`, the API token secret, and
 * the Node embedder behind `EMBEDDER`.
 */
import { dirname, join } from "node:path";
import {
  type MiniflareOptions,
  type Request as MiniflareRequest,
  Response as MiniflareResponse,
} from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import type { RequestLike } from "../node/embedder-handler.js";
import { WRANGLER_CONFIG } from "./paths.js";

/** Settings the launcher adds to wrangler.toml's. */
export interface WorkerOverrides {
  scriptPath: string;
  stateDir: string;
  host: string;
  port: number;
  /** The process environment: a `[vars]` entry set here wins over wrangler.toml. */
  env: NodeJS.ProcessEnv;
  /** Forced values (e.g. `EMBED_MODE=sync` for `--no-worker`); win over everything. */
  forced: Record<string, string>;
  /** The Node-side embedder protocol handler. */
  embedder: (request: RequestLike) => Promise<Response>;
}

/** Secrets that are never in wrangler.toml but may come from the environment. */
const SECRETS = ["PYRITE_API_TOKEN"] as const;

/** The `[vars]` of wrangler.toml overlaid with the environment and the forced values. */
export function resolveVars(
  declared: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  forced: Record<string, string>,
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(declared)) {
    const fromEnv = env[key];
    vars[key] = fromEnv ?? (typeof value === "string" ? value : JSON.stringify(value));
  }
  for (const key of SECRETS) {
    const fromEnv = env[key];
    if (fromEnv !== undefined && fromEnv !== "") vars[key] = fromEnv;
  }
  return { ...vars, ...forced };
}

/** Builds the options of the one worker Miniflare runs. */
export function buildMiniflareOptions(overrides: WorkerOverrides): {
  options: MiniflareOptions;
  vars: Record<string, string>;
} {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(WRANGLER_CONFIG);
  const vars = resolveVars(workerOptions.bindings ?? {}, overrides.env, overrides.forced);
  // miniflare hands its own Request over and wants its own Response back.
  const embedder = async (request: MiniflareRequest): Promise<MiniflareResponse> => {
    const response = await overrides.embedder(request);
    return new MiniflareResponse(await response.arrayBuffer(), {
      status: response.status,
      headers: [...response.headers],
    });
  };
  const options: MiniflareOptions = {
    ...workerOptions,
    name: "pyrite-edge",
    modules: true,
    scriptPath: overrides.scriptPath,
    // Module names are relative to this root; the bundle lives outside the working directory.
    modulesRoot: dirname(overrides.scriptPath),
    bindings: vars,
    serviceBindings: { ...workerOptions.serviceBindings, EMBEDDER: embedder },
    host: overrides.host,
    port: overrides.port,
    // wrangler's layout (<state>/v3/<plugin>), so `wrangler d1 ... --local --persist-to` agrees.
    // Every store (D1, Durable Objects, caches) persists under it, as with `wrangler dev`.
    defaultPersistRoot: join(overrides.stateDir, "v3"),
  };
  return { options, vars };
}

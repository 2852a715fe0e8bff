/**
 * Direct access to the server's persisted D1 database, for what the API has no fast path for
 * (storing 100k ready-made vectors) and for profiling queries. It opens the state directory with
 * a Miniflare of its own running a small helper worker (seed-worker.js), bound to the D1 database
 * that wrangler.toml declares, so the same SQLite file under `<state>/v3/d1/`. It must only run
 * while the server is stopped: two workerd processes must never write one SQLite file.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  withoutNewSignalListeners,
  withoutNewSignalListenersAsync,
} from "../../src/server/signals.js";
import { PROJECT_ROOT } from "./paths.js";

/** The D1 calls the bench makes through Miniflare's proxy (a subset of the binding's API). */
export interface DirectD1 {
  prepare(query: string): {
    bind(...values: unknown[]): DirectStatement;
  } & DirectStatement;
  batch(statements: DirectStatement[]): Promise<unknown[]>;
}

/** A prepared (and maybe bound) statement. */
export interface DirectStatement {
  run(): Promise<{ meta: { changes: number } }>;
  first<T>(): Promise<T | null>;
  all<T>(): Promise<{ results: T[] }>;
}

/** What `work` gets: the proxy binding, and a fetch into the helper worker. */
export interface DirectAccess {
  db: DirectD1;
  fetch(path: string, init: { method: string; body: Uint8Array }): Promise<Response>;
}

const HELPER = join(dirname(fileURLToPath(import.meta.url)), "seed-worker.js");

/** Opens `<stateDir>`'s D1 database, runs `work`, and disposes the runtime. */
export async function withDirectD1<T>(
  stateDir: string,
  work: (access: DirectAccess) => Promise<T>,
): Promise<T> {
  // wrangler and miniflare install exit-at-once signal handlers on import/construction; the
  // bench keeps its own (which stop its server children gracefully).
  const { Miniflare, unstable_getMiniflareWorkerOptions } = await withoutNewSignalListenersAsync(
    async () => ({ ...(await import("miniflare")), ...(await import("wrangler")) }),
  );
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(PROJECT_ROOT, "wrangler.toml"));
  const mf = withoutNewSignalListeners(
    () =>
      new Miniflare({
        modules: true,
        scriptPath: HELPER,
        compatibilityDate: workerOptions.compatibilityDate,
        d1Databases: workerOptions.d1Databases,
        defaultPersistRoot: join(stateDir, "v3"),
      }),
  );
  try {
    await mf.ready;
    const db = (await mf.getD1Database("DB")) as unknown as DirectD1;
    const fetch = async (path: string, init: { method: string; body: Uint8Array }) => {
      const response = await mf.dispatchFetch(`http://localhost${path}`, init);
      return response as unknown as Response;
    };
    return await work({ db, fetch });
  } finally {
    await mf.dispose();
  }
}

/**
 * A second copy of the app in `EMBED_MODE=sync` with the in-process hash embedder: a competing
 * worker (it claims due rows and expired leases itself) that the held EmbedWorker cannot block.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../../src/app";

// One env object: settings and the embedder are cached per env.
const syncEnv = { ...env, EMBED_MODE: "sync", EMBED_PROVIDER: "hash" };
const syncApp = createApp();

/** Sends JSON to the sync-mode app and waits for its background work. */
export async function syncSend(method: string, path: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await syncApp.fetch(
    new Request(`http://pyrite.test${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    syncEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * A second copy of the app in `EMBED_MODE=sync` with the in-process hash embedder: a competing
 * worker (it claims due rows and expired leases itself) that the held EmbedWorker cannot block.
 */
import { env } from "cloudflare:workers";
import { appSend } from "../app-fetch";

// One env object: settings and the embedder are cached per env.
const syncEnv: Env = { ...env, EMBED_MODE: "sync", EMBED_PROVIDER: "hash" };

/** Sends JSON to the sync-mode app and waits for its background work. */
export function syncSend(method: string, path: string, body: unknown): Promise<Response> {
  return appSend(method, path, body, syncEnv);
}

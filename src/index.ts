/**
 * The worker's entry point: the HTTP API, the cron safety net, and the EmbedWorker class.
 */
import { createApp, hasWorker } from "./app";
import { readSettings } from "./config";
import { kickAll } from "./embed-worker/shards";
import { openDb } from "./storage/db";
import { hasDue } from "./storage/queue-claim";

export { EmbedWorker } from "./embed-worker/embed-worker";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Every minute: if rows are due but a worker's alarm was lost, wake the workers. */
  async scheduled(_controller, env, ctx) {
    const settings = readSettings(env);
    if (!hasWorker(env, settings)) return;
    const due = await hasDue(openDb(env.DB), Date.now());
    if (due) ctx.waitUntil(kickAll(env, settings));
  },
} satisfies ExportedHandler<Env>;

/**
 * The composition root: validates settings, wires services to bindings per request, and mounts
 * the routes behind one error handler.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { AppEnv } from "./app-env";
import { readSettings, type Settings } from "./config";
import { BulkWriteService } from "./domain/bulk-write-service";
import { type EmbedNotifier, noNotifier } from "./domain/embed-notifier";
import { EntriesService } from "./domain/entries-service";
import { IndexService } from "./domain/index-service";
import { notifyShards, shardedIndexWorker } from "./embed-worker/shards";
import { ApiError, handleError } from "./errors";
import { requireToken } from "./middleware/auth";
import { requireJsonBody } from "./middleware/content-type";
import { refuseOpenWrites } from "./middleware/deployed";
import { requireAllowedHost } from "./middleware/host";
import { requireTrustedOrigin } from "./middleware/origin";
import { limits } from "./model/limits";
import { batchRoutes } from "./routes/bulk";
import { entriesRoutes } from "./routes/entries";
import { healthRoutes } from "./routes/health";
import { indexRoutes } from "./routes/index-embed";
import { mcpRoutes } from "./routes/mcp";
import { searchRoutes } from "./routes/search";
import { wsRoutes } from "./routes/ws";
import { SearchService } from "./search/search-service";
import { selectEmbedder } from "./select-embedder";
import { openDb } from "./storage/db";

/** Whether a background worker drains the queue in this configuration. */
export function hasWorker(env: Env, settings: Settings): boolean {
  return settings.embedMode === "background" && env.EMBED_WORKER !== undefined;
}

/** The EmbedWorkers seen from the write path: events and kicks, after the response. */
function workerNotifier(env: Env, settings: Settings): EmbedNotifier {
  return {
    present: true,
    async afterWrite(events, kick) {
      try {
        await notifyShards(env, settings, events, kick);
      } catch (err) {
        // The row is queued either way; the cron safety net kicks the worker if this was lost.
        console.error("could not notify the embed worker", err);
      }
    },
  };
}

/** Builds the Hono app. */
export function createApp() {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const settings = readSettings(c.env);
    const db = openDb(c.env.DB);
    const embedder = () => selectEmbedder(c.env, settings);
    const worker = hasWorker(c.env, settings);
    const writes = {
      db,
      settings,
      notifier: worker ? workerNotifier(c.env, settings) : noNotifier,
      embedder,
      defer: (work: Promise<unknown>) => c.executionCtx.waitUntil(work),
    };
    c.set("settings", settings);
    c.set("entries", new EntriesService(writes));
    c.set("batch", new BulkWriteService(writes));
    c.set(
      "search",
      new SearchService(db, embedder, settings.searchEmbedTimeoutMs, settings.hybridSemanticWeight),
    );
    c.set(
      "index",
      new IndexService({
        db,
        settings,
        embedder,
        worker: worker ? shardedIndexWorker(c.env, settings) : null,
      }),
    );
    await next();
  });

  // A host this server does not answer (DNS rebinding) learns nothing, not even CORS headers.
  app.use("*", requireAllowedHost());

  app.use("*", async (c, next) => {
    const origins = c.var.settings.corsOrigins;
    if (origins.length === 0) return next();
    return cors({
      origin: origins.includes("*") ? "*" : origins,
      // If-Match and ETag: browser clients get optimistic concurrency too.
      allowHeaders: ["Authorization", "Content-Type", "If-Match"],
      exposeHeaders: ["ETag"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      maxAge: 600,
    })(c, next);
  });

  // A foreign page may not change state or open a socket, token or not. Mounted on every path
  // (not per route) so no spelling of a path slips past it.
  app.use("*", requireTrustedOrigin());
  // Authentication before anything reads the request: without the token a client learns nothing
  // else (not even a 413). CORS above answers preflights, which carry no credentials.
  app.use("/api/*", requireToken());
  app.use("/ws", requireToken());
  app.use("/mcp", requireToken());
  // Deployed without a token, nothing may write; then, bodies must be declared JSON (415), so no
  // form or text/plain post that a browser sends unasked can change state.
  app.use("*", refuseOpenWrites());
  app.use("*", requireJsonBody());
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: limits.requestBytes,
      onError: () => {
        throw new ApiError(
          413,
          "payload_too_large",
          `request body exceeds ${limits.requestBytes} bytes`,
        );
      },
    }),
  );

  app.route("/health", healthRoutes);
  app.route("/api/entries/batch", batchRoutes);
  app.route("/api/entries", entriesRoutes);
  app.route("/api/search", searchRoutes);
  app.route("/api/index", indexRoutes);
  app.route("/ws", wsRoutes);
  app.route("/mcp", mcpRoutes);

  app.notFound(() => {
    throw new ApiError(404, "not_found", "no such route");
  });
  app.onError(handleError);
  return app;
}

/**
 * The composition root: validates settings, wires services to bindings per request, and mounts
 * the routes behind one error handler.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { AppEnv } from "./app-env";
import { readSettings, type Settings } from "./config";
import { MOUNTS } from "./contract/api";
import { BulkWriteService } from "./domain/bulk-write-service";
import { type EmbedNotifier, noNotifier } from "./domain/embed-notifier";
import { EntriesService } from "./domain/entries-service";
import { IndexService } from "./domain/index-service";
import { ModelService } from "./domain/model-service";
import { notifyShards, shardedIndexWorker } from "./embed-worker/shards";
import { searchModel, servingEmbedder } from "./embedding/serving";
import { ApiError, handleError } from "./errors";
import { requireToken } from "./middleware/auth";
import { requireJsonBody } from "./middleware/content-type";
import { refuseOpenWrites } from "./middleware/deployed";
import { requireAllowedHost } from "./middleware/host";
import { requireTrustedOrigin } from "./middleware/origin";
import { limits } from "./model/limits";
import { bulkRoutes } from "./routes/bulk";
import { docsRoutes } from "./routes/docs";
import { entriesRoutes } from "./routes/entries";
import { healthRoutes } from "./routes/health";
import { indexRoutes } from "./routes/index-embed";
import { modelRoutes } from "./routes/index-models";
import { mcpRoutes } from "./routes/mcp";
import { searchRoutes } from "./routes/search";
import { wsRoutes } from "./routes/ws";
import { SearchService } from "./search/search-service";
import { selectModels } from "./select-embedder";
import { openDb } from "./storage/db";
import { selectVectorStore } from "./vectors/select-vector-store";

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
  const app = new OpenAPIHono<AppEnv>();

  app.use("*", async (c, next) => {
    const settings = readSettings(c.env);
    const db = openDb(c.env.DB);
    const models = selectModels(c.env, settings);
    // One pinned embedder of the serving model per use (see embedding/serving.ts).
    const embedder = () => servingEmbedder(db, models);
    const worker = hasWorker(c.env, settings);
    const vectors = selectVectorStore(c.env, db);
    const writes = {
      db,
      vectors,
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
      new SearchService(
        db,
        vectors,
        () => searchModel(db, models),
        settings.searchEmbedTimeoutMs,
        settings.hybridSemanticWeight,
      ),
    );
    // Every shard behind one port (one shard: the single worker).
    const stub = worker ? shardedIndexWorker(c.env, settings) : null;
    c.set("index", new IndexService({ db, vectors, settings, embedder, models, worker: stub }));
    c.set("models", new ModelService({ db, settings, models, worker: stub }));
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

  const routes = app
    .route(MOUNTS.health, healthRoutes)
    .route(MOUNTS.bulk, bulkRoutes)
    .route(MOUNTS.entries, entriesRoutes)
    .route(MOUNTS.search, searchRoutes)
    .route(MOUNTS.index, indexRoutes)
    .route(MOUNTS.index, modelRoutes)
    .route(MOUNTS.ws, wsRoutes)
    .route("/mcp", mcpRoutes);
  // The document describes the routes mounted above (each sub-router brings its definitions).
  routes.route("/", docsRoutes(routes));

  routes.notFound(() => {
    throw new ApiError(404, "not_found", "no such route");
  });
  routes.onError(handleError);
  return routes;
}

/** The app's routes and their request and response types, for the typed client (`hc`). */
export type AppType = ReturnType<typeof createApp>;

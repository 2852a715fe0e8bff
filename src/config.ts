/**
 * Settings read from the worker's environment (wrangler.toml `[vars]`, overridable by `npm start`'s
 * environment or `.dev.vars`). Parsed once per env object; a bad value is a clear error, not a guess.
 */
import { z } from "zod";

/**
 * Hybrid search's weight of the normalised semantic score (the keyword score gets the rest): the
 * best on the retrieval eval's tune queries (`npm run eval`, bench/results/eval.md).
 */
export const DEFAULT_HYBRID_SEMANTIC_WEIGHT = 0.25;

const intSetting = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const settingsSchema = z.object({
  EMBED_MODE: z.enum(["background", "sync", "off"]).default("background"),
  EMBED_BATCH_SIZE: intSetting(1, 256).default(10),
  EMBED_MAX_ATTEMPTS: intSetting(1, 100).default(3),
  EMBED_RETRY_BASE_MS: intSetting(0, 3_600_000).default(2000),
  EMBED_LEASE_MS: intSetting(1000, 3_600_000).default(120_000),
  EMBED_KICK_DELAY_MS: intSetting(0, 3_600_000).default(0),
  EMBED_PROVIDER: z.enum(["auto", "service", "workers-ai", "hash"]).default("auto"),
  // Unset: the provider's default model (embedder/workers-ai.ts), the one place it is named.
  WORKERS_AI_MODEL: z.string().min(1).optional(),
  EMBEDDER_URL: z.url().optional(),
  EMBEDDER_TIMEOUT_MS: intSetting(100, 3_600_000).default(60_000),
  SEARCH_EMBED_TIMEOUT_MS: intSetting(10, 600_000).default(3000),
  // Trimmed: a secret piped in with a trailing newline would otherwise never match any request.
  PYRITE_API_TOKEN: z.string().trim().optional(),
  CORS_ORIGINS: z.string().default(""),
  // Empty: only loopback names (the safe default for a server on 127.0.0.1). `*`: any host.
  ALLOWED_HOSTS: z.string().default(""),
  // `production` only in wrangler.toml's [env.production]: there, writes need a token.
  PYRITE_ENV: z.enum(["local", "production"]).default("local"),
  EMBED_PASSAGES: z.enum(["on", "off"]).default("on"),
  HYBRID_SEMANTIC_WEIGHT: z.coerce.number().min(0).max(1).default(DEFAULT_HYBRID_SEMANTIC_WEIGHT),
  EMBED_CONCURRENCY: intSetting(1, 64).default(1),
  EMBED_SHARDS: intSetting(1, 64).default(1),
  EMBED_TOKENS_PER_MINUTE: intSetting(0, 1_000_000_000).default(0),
  EMBED_REQUESTS_PER_MINUTE: intSetting(0, 1_000_000).default(0),
});

/** The service's parsed settings. */
export interface Settings {
  embedMode: "background" | "sync" | "off";
  batchSize: number;
  maxAttempts: number;
  retryBaseMs: number;
  leaseMs: number;
  /** Delay before a kicked worker runs; large in tests so they drive the alarm by hand. */
  kickDelayMs: number;
  provider: "auto" | "service" | "workers-ai" | "hash";
  workersAiModel: string | undefined;
  /** The Node embedder's URL where no `EMBEDDER` service binding exists (`wrangler dev`). */
  embedderUrl: string | undefined;
  /** Deadline of each call to the Node embedder: a frozen process fails calls, never hangs them. */
  embedderTimeoutMs: number;
  /**
   * How long a search waits for its query's embedding. Past it, hybrid answers from keywords
   * alone (saying so) and semantic answers 503: MCP clients search hybrid by default.
   */
  searchEmbedTimeoutMs: number;
  /** When set, every /api route and /ws require it. Empty means no authentication. */
  apiToken: string | undefined;
  /** Origins allowed by CORS; empty means CORS is closed. `*` allows any. */
  corsOrigins: string[];
  /** Host names answered besides the loopback ones (lowercased); `*` answers any. */
  allowedHosts: string[];
  /** Deployed to Cloudflare (`PYRITE_ENV=production`): writes are refused without a token. */
  deployed: boolean;
  /** Split entries into passages (`on`), or embed each whole, cut to the window (`off`). */
  embedPassages: boolean;
  /** Weight of the semantic list in hybrid search's fusion (the keyword list has 1 − this). */
  hybridSemanticWeight: number;
  /**
   * Embed rounds each EmbedWorker keeps in flight. 1 suits a CPU-bound local embedder (today's
   * behaviour); a remote one (Workers AI) sits idle between round trips without more.
   */
  embedConcurrency: number;
  /** EmbedWorkers; each is the single worker of the KBs that hash to it (`shardOf`). */
  embedShards: number;
  /** Estimated tokens all workers together may send the embedder per minute (each shard takes
   * its share); 0: no budget. */
  tokensPerMinute: number;
  /**
   * Embedder calls all workers together may make per minute (each shard takes its share); 0: no
   * budget. Set a little under the provider's rate limit (Workers AI: 3,000 for embeddings).
   */
  requestsPerMinute: number;
}

const cache = new WeakMap<object, Settings>();

function blankToUndefined(value: unknown): unknown {
  return typeof value === "string" && value.trim() === "" ? undefined : value;
}

/** A comma-separated setting as its non-blank items. */
function list(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Parses (and caches) the settings of an env; throws with every invalid setting named. */
export function readSettings(env: object): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    raw[key] = blankToUndefined(Reflect.get(env, key));
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid settings: ${problems.join("; ")}`);
  }
  const s = parsed.data;
  const settings: Settings = {
    embedMode: s.EMBED_MODE,
    batchSize: s.EMBED_BATCH_SIZE,
    maxAttempts: s.EMBED_MAX_ATTEMPTS,
    retryBaseMs: s.EMBED_RETRY_BASE_MS,
    leaseMs: s.EMBED_LEASE_MS,
    kickDelayMs: s.EMBED_KICK_DELAY_MS,
    provider: s.EMBED_PROVIDER,
    workersAiModel: s.WORKERS_AI_MODEL,
    embedderUrl: s.EMBEDDER_URL,
    embedderTimeoutMs: s.EMBEDDER_TIMEOUT_MS,
    searchEmbedTimeoutMs: s.SEARCH_EMBED_TIMEOUT_MS,
    apiToken: s.PYRITE_API_TOKEN,
    corsOrigins: list(s.CORS_ORIGINS),
    allowedHosts: list(s.ALLOWED_HOSTS).map((h) => h.toLowerCase()),
    deployed: s.PYRITE_ENV === "production",
    embedPassages: s.EMBED_PASSAGES === "on",
    hybridSemanticWeight: s.HYBRID_SEMANTIC_WEIGHT,
    embedConcurrency: s.EMBED_CONCURRENCY,
    embedShards: s.EMBED_SHARDS,
    tokensPerMinute: s.EMBED_TOKENS_PER_MINUTE,
    requestsPerMinute: s.EMBED_REQUESTS_PER_MINUTE,
  };
  cache.set(env, settings);
  return settings;
}

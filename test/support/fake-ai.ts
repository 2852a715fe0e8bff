/**
 * A fake Workers AI binding (`env.AI`) for the embedding models, written from Cloudflare's
 * documentation (developers.cloudflare.com/workers-ai: the BGE model pages, platform/limits and
 * platform/errors), seeded so a run replays exactly. Plain TypeScript that runs in workerd: the
 * tests and `npm run bench -- --scale` bind it as `AI` (and `FAKE_AI`, to steer it) through the
 * `FakeAi` entrypoint of their worker, configured by `configure` or by the `FAKE_AI_CONFIG`
 * binding (JSON).
 *
 * What it reproduces:
 * - `run(model, { text: string | string[], pooling?: "mean" | "cls" })` answers
 *   `{ shape: [n, dims], data: number[][], pooling }` for `@cf/baai/bge-small-en-v1.5` (384 dims),
 *   `@cf/baai/bge-base-en-v1.5` (768) and `@cf/baai/bge-large-en-v1.5` (1024). Vectors are
 *   deterministic per text and model (same text, same vector), not meaningful.
 * - at most 100 texts per call (more: `3006: Request is too large`, HTTP 413);
 * - latency: a base per call plus a cost per text, with seeded jitter;
 * - a rate limit of `requests` per `windowMs` (sliding window; Workers AI's text-embedding limit
 *   is 3000 requests per minute, 1500 for bge-large). Over it, or during a "storm", the call
 *   throws `3040: Out of capacity` (Workers AI's 429) with a `Retry-After` in seconds. Through
 *   RPC a thrown error keeps only its message, so the status and `Retry-After` are in it;
 * - random failures (`5000: internal error`, HTTP 500) and timeouts (the call hangs for
 *   `timeoutMs`, then throws `3007: Request timeout`, HTTP 408), never returning vectors.
 * It records every call, so a run can be recounted: texts served (and how often each), the
 * rate-limit answers, the most calls in flight at once.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { mulberry32, seedFromName } from "../../scripts/model/prng";
import { estimateTokens } from "../../src/embedder/tokens";
import type { CallOutcome, FakeAiConfig, FakeAiStats } from "./fake-ai-types";

/** Output sizes of the BGE embedding models on Workers AI. */
const DIMS: Readonly<Record<string, number>> = {
  "@cf/baai/bge-small-en-v1.5": 384,
  "@cf/baai/bge-base-en-v1.5": 768,
  "@cf/baai/bge-large-en-v1.5": 1024,
};

/** Workers AI's cap on inputs per embedding call. */
export const MAX_TEXTS_PER_CALL = 100;

const DEFAULT_CONFIG: FakeAiConfig = {
  seed: 1,
  latencyMs: 20,
  perTextMs: 0,
  jitter: 0,
  rateLimit: { requests: 0, windowMs: 60_000 },
  storm: { calls: 0, retryAfterS: 1 },
  failureRate: 0,
  timeoutRate: 0,
  timeoutMs: 5_000,
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

/** The simulator itself (one per isolate, shared by every entrypoint instance). */
export class FakeAiSimulator {
  private config: FakeAiConfig = DEFAULT_CONFIG;
  private configured = false;
  private random = mulberry32(DEFAULT_CONFIG.seed);
  private accepted: number[] = [];
  private inFlight = 0;
  private stormLeft = 0;
  private served = new Map<string, number>();
  private stats: FakeAiStats = FakeAiSimulator.emptyStats();

  private static emptyStats(): FakeAiStats {
    return {
      calls: 0,
      served: 0,
      textsServed: 0,
      distinctTexts: 0,
      repeatedTexts: 0,
      rateLimited: 0,
      failures: 0,
      timeouts: 0,
      tooLarge: 0,
      maxInFlight: 0,
      tokensServed: 0,
      log: [],
    };
  }

  /** Replaces the configuration (fields not given keep their defaults) and clears the record. */
  configure(config: Partial<FakeAiConfig>): void {
    this.configured = true;
    this.config = { ...DEFAULT_CONFIG, ...config };
    this.random = mulberry32(this.config.seed);
    this.stormLeft = this.config.storm.calls;
    this.accepted = [];
    this.served = new Map();
    this.stats = FakeAiSimulator.emptyStats();
  }

  /** Starts a storm now: the next `calls` calls answer 429 with `Retry-After: retryAfterS`. */
  storm(calls: number, retryAfterS: number): void {
    this.config = { ...this.config, storm: { calls, retryAfterS } };
    this.stormLeft = calls;
  }

  report(): FakeAiStats {
    return {
      ...this.stats,
      distinctTexts: this.served.size,
      repeatedTexts: [...this.served.values()].reduce((n, count) => n + count - 1, 0),
      log: [...this.stats.log],
    };
  }

  private record(at: number, texts: string[], outcome: CallOutcome): void {
    const tokens = texts.reduce((n, t) => n + estimateTokens(t), 0);
    this.stats.log.push({ at, texts: texts.length, tokens, outcome });
  }

  /** Seconds until the sliding window admits another call, or 0 if it does now. */
  private windowWait(now: number): number {
    const { requests, windowMs } = this.config.rateLimit;
    if (requests <= 0) return 0;
    this.accepted = this.accepted.filter((at) => at > now - windowMs);
    if (this.accepted.length < requests) return 0;
    const oldest = this.accepted[0] ?? now;
    return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
  }

  /**
   * Takes the configuration in `FAKE_AI_CONFIG` (JSON), if set and nothing was configured yet:
   * a system restarted on the same state then answers as before from its very first call.
   */
  configureFrom(json: unknown): void {
    if (this.configured || typeof json !== "string" || json === "") return;
    this.configure(JSON.parse(json) as Partial<FakeAiConfig>);
  }

  async run(model: string, input: { text: string | string[]; pooling?: string }) {
    const at = Date.now();
    const texts = typeof input.text === "string" ? [input.text] : input.text;
    this.stats.calls++;
    const dims = DIMS[model];
    if (dims === undefined) throw new Error(`5007: No such model ${model} or task`);
    if (texts.length > MAX_TEXTS_PER_CALL) {
      this.stats.tooLarge++;
      this.record(at, texts, "too_large");
      throw new Error(`3006: Request is too large (413; ${texts.length} texts, at most 100)`);
    }
    const wait = this.stormLeft > 0 ? this.config.storm.retryAfterS : this.windowWait(at);
    if (wait > 0) {
      if (this.stormLeft > 0) this.stormLeft--;
      this.stats.rateLimited++;
      this.record(at, texts, "rate_limited");
      throw new Error(`3040: Out of capacity (429 Too Many Requests; Retry-After: ${wait})`);
    }
    this.accepted.push(at);
    const { latencyMs, perTextMs, jitter, failureRate, timeoutRate, timeoutMs } = this.config;
    const roll = this.random();
    const spread = 1 + jitter * (2 * this.random() - 1);
    this.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    try {
      if (roll < timeoutRate) {
        await sleep(timeoutMs);
        this.stats.timeouts++;
        this.record(at, texts, "timeout");
        throw new Error("3007: Request timeout (408)");
      }
      await sleep((latencyMs + perTextMs * texts.length) * spread);
      if (roll < timeoutRate + failureRate) {
        this.stats.failures++;
        this.record(at, texts, "failed");
        throw new Error("5000: Internal server error (500)");
      }
    } finally {
      this.inFlight--;
    }
    this.stats.served++;
    this.stats.textsServed += texts.length;
    this.stats.tokensServed += texts.reduce((n, t) => n + estimateTokens(t), 0);
    for (const text of texts) this.served.set(text, (this.served.get(text) ?? 0) + 1);
    this.record(at, texts, "served");
    const pooling = input.pooling === "cls" ? "cls" : "mean";
    return {
      shape: [texts.length, dims],
      data: texts.map((text) => vectorOf(`${model}|${pooling}|${text}`, dims)),
      pooling,
    };
  }
}

/** A deterministic pseudo-random vector for a text. */
function vectorOf(key: string, dims: number): number[] {
  const next = mulberry32(seedFromName(key, 7));
  return Array.from({ length: dims }, () => next() * 2 - 1);
}

const simulator = new FakeAiSimulator();

/**
 * The binding: bind it as `AI` (what the worker calls) and as `FAKE_AI` (what a test or the
 * bench steers it with), both to this entrypoint of the worker under test.
 */
export class FakeAi extends WorkerEntrypoint {
  /** What `env.AI.run` does for the embedding models. */
  async run(model: string, input: { text: string | string[]; pooling?: string }) {
    simulator.configureFrom(Reflect.get(this.env as object, "FAKE_AI_CONFIG"));
    return simulator.run(model, input);
  }

  async configure(config: Partial<FakeAiConfig>): Promise<void> {
    simulator.configure(config);
  }

  async storm(calls: number, retryAfterS: number): Promise<void> {
    simulator.storm(calls, retryAfterS);
  }

  async stats(): Promise<FakeAiStats> {
    simulator.configureFrom(Reflect.get(this.env as object, "FAKE_AI_CONFIG"));
    return simulator.report();
  }
}

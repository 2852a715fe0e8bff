/**
 * The fake Workers AI binding's configuration and record (test/support/fake-ai.ts), apart so the
 * Node-side bench can read them without the workerd-only module.
 */

/** How the fake behaves; every field may be changed between runs with `configure`. */
export interface FakeAiConfig {
  seed: number;
  /** Latency of a call: `latencyMs` + `perTextMs` × texts, times 1 ± `jitter` (seeded). */
  latencyMs: number;
  perTextMs: number;
  jitter: number;
  /** At most `requests` calls accepted per sliding `windowMs`; 0 requests = unlimited. */
  rateLimit: { requests: number; windowMs: number };
  /** The next `calls` calls answer 429 with `Retry-After: retryAfterS`, whatever the rate. */
  storm: { calls: number; retryAfterS: number };
  /** Probability that an accepted call fails (HTTP 500). */
  failureRate: number;
  /** Probability that an accepted call hangs `timeoutMs` and then fails (HTTP 408). */
  timeoutRate: number;
  timeoutMs: number;
}

/** What the fake saw. */
export interface FakeAiStats {
  calls: number;
  /** Calls answered with vectors, and the texts in them. */
  served: number;
  textsServed: number;
  /** Distinct texts served, and texts served more than once (each extra time counts). */
  distinctTexts: number;
  repeatedTexts: number;
  rateLimited: number;
  failures: number;
  timeouts: number;
  tooLarge: number;
  maxInFlight: number;
  /** Estimated tokens in the texts served (the worker's own estimate, `estimateTokens`). */
  tokensServed: number;
  /** Every call: when it arrived (epoch ms), its texts and how it ended. */
  log: { at: number; texts: number; tokens: number; outcome: CallOutcome }[];
}

/** How one call ended. */
export type CallOutcome = "served" | "rate_limited" | "failed" | "timeout" | "too_large";

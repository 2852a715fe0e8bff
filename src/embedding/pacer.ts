/**
 * Paces one worker's calls to a remote embedder, shared by every round it has in flight:
 * - a tokens-per-minute budget: a token bucket refilled at budget/60 s, holding at most ten
 *   seconds' worth (so a burst after idling stays small); a call may go while the bucket is above
 *   zero and takes its estimated tokens, possibly into debt, which later calls wait out. Over any
 *   interval T it sends at most capacity + rate·T + one call's tokens;
 * - a requests-per-minute budget, the same way, one per call, holding one second's worth: kept a
 *   little under the provider's rate limit, it spends no round trip on a 429 at all;
 * - backpressure: when the embedder answers "busy, retry after N", no round calls it before then.
 * Waiting here is never an attempt: a round that cannot call before its deadline hands its rows
 * back unharmed (see embed-round.ts). "Before its deadline" leaves room for the call itself: as
 * long as the slowest of the recent calls took.
 */

/** Time as the pacer sees it; injectable so its arithmetic can be tested without waiting. */
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
};

/** A per-minute budget as a token bucket that may go into debt by one take. */
class Bucket {
  private readonly ratePerMs: number;
  private readonly capacity: number;
  private level: number;
  private updatedAt: number;

  /** `perMinute` 0: no budget (always ready). */
  constructor(perMinute: number, burstSeconds: number, now: number) {
    this.ratePerMs = perMinute / 60_000;
    this.capacity = Math.max(1, (perMinute * burstSeconds) / 60);
    this.level = this.capacity;
    this.updatedAt = now;
  }

  private get limited(): boolean {
    return this.ratePerMs > 0;
  }

  /** The earliest moment the bucket is above zero. */
  readyAt(now: number): number {
    if (!this.limited) return now;
    this.level = Math.min(this.capacity, this.level + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
    return this.level > 0 ? now : now + Math.ceil((1e-6 - this.level) / this.ratePerMs);
  }

  take(amount: number): void {
    if (this.limited) this.level -= amount;
  }
}

/** Seconds of token budget the bucket holds at most. */
const TOKEN_BURST_SECONDS = 10;
/** Seconds of request budget: rate limits are counted over short windows too. */
const REQUEST_BURST_SECONDS = 1;

/** Recent call durations kept for the estimate of how long a call takes. */
const RECENT_CALLS = 20;

/** The pacing of one worker's embedder calls. */
export class Pacer {
  private readonly tokens: Bucket;
  private readonly requests: Bucket;
  private blockedUntil = 0;
  private readonly recent: number[] = [];

  /** A budget of 0 means none: then only backpressure is honoured. */
  constructor(
    budget: { tokensPerMinute: number; requestsPerMinute: number },
    private readonly clock: PacerClock = realClock,
  ) {
    const now = clock.now();
    this.tokens = new Bucket(budget.tokensPerMinute, TOKEN_BURST_SECONDS, now);
    this.requests = new Bucket(budget.requestsPerMinute, REQUEST_BURST_SECONDS, now);
  }

  /** The earliest moment a call may go (now, if it may go at once). */
  readyAt(): number {
    const now = this.clock.now();
    return Math.max(now, this.tokens.readyAt(now), this.requests.readyAt(now), this.blockedUntil);
  }

  /**
   * Waits until a call of `tokens` estimated tokens may go and takes it from the budgets; or, if
   * it would have to wait so long that the call could not finish by `until` (going by the recent
   * calls), takes nothing and answers false at once.
   */
  async acquire(tokens: number, until: number): Promise<boolean> {
    for (;;) {
      const at = this.readyAt();
      const now = this.clock.now();
      if (at <= now) {
        this.tokens.take(tokens);
        this.requests.take(1);
        return true;
      }
      // Never refuses a call that may go now (a slow estimate must not starve the queue); only
      // declines to wait for one that could not finish in time.
      if (at + this.callEstimate() > until) return false;
      await this.clock.sleep(at - now);
    }
  }

  /** Records how long a call took (its answer, whatever it was). */
  recordCall(ms: number): void {
    this.recent.push(ms);
    if (this.recent.length > RECENT_CALLS) this.recent.shift();
  }

  /** How long a call may take: the slowest of the recent ones (0 before any). */
  callEstimate(): number {
    return this.recent.reduce((a, b) => Math.max(a, b), 0);
  }

  /** The embedder said "busy": no call goes before `retryAfterMs` from now. */
  backOff(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + retryAfterMs);
  }
}

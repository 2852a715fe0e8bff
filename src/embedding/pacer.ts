/**
 * Paces one worker's calls to a remote embedder, shared by every round it has in flight:
 * - a tokens-per-minute budget, as a token bucket refilled at budget/60 s, holding at most ten
 *   seconds' worth (so a burst after idling stays small); a call may go while the bucket is above
 *   zero and takes its estimated tokens, possibly into debt, which later calls wait out. Over any
 *   interval T it sends at most capacity + rate·T + one call's tokens;
 * - backpressure: when the embedder answers "busy, retry after N", no round calls it before then.
 * Waiting here is never an attempt: a round that cannot call before its deadline hands its rows
 * back unharmed (see embed-round.ts).
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

/** Seconds of budget the bucket holds at most. */
const BURST_SECONDS = 10;

/** The pacing of one worker's embedder calls. */
export class Pacer {
  private readonly ratePerMs: number;
  private readonly capacity: number;
  private level: number;
  private updatedAt: number;
  private blockedUntil = 0;

  /** `tokensPerMinute` 0 means no budget: only backpressure is honoured. */
  constructor(
    tokensPerMinute: number,
    private readonly clock: PacerClock = realClock,
  ) {
    this.ratePerMs = tokensPerMinute / 60_000;
    this.capacity = (tokensPerMinute * BURST_SECONDS) / 60;
    this.level = this.capacity;
    this.updatedAt = clock.now();
  }

  private get budgeted(): boolean {
    return this.ratePerMs > 0;
  }

  private refill(now: number): void {
    if (!this.budgeted) return;
    this.level = Math.min(this.capacity, this.level + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
  }

  /** The earliest moment a call may go (now, if it may go at once). */
  readyAt(): number {
    const now = this.clock.now();
    this.refill(now);
    const budgetAt =
      this.budgeted && this.level <= 0 ? now + Math.ceil((1 - this.level) / this.ratePerMs) : now;
    return Math.max(now, budgetAt, this.blockedUntil);
  }

  /**
   * Waits until a call of `tokens` estimated tokens may go and takes them from the budget; or,
   * if that moment is after `until`, takes nothing and answers false at once.
   */
  async acquire(tokens: number, until: number): Promise<boolean> {
    for (;;) {
      const at = this.readyAt();
      const now = this.clock.now();
      if (at <= now) {
        if (this.budgeted) this.level -= tokens;
        return true;
      }
      if (at > until) return false;
      await this.clock.sleep(at - now);
    }
  }

  /** The embedder said "busy": no call goes before `retryAfterMs` from now. */
  backOff(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + retryAfterMs);
  }
}

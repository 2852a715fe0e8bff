import { describe, expect, it } from "vitest";
import { Pacer, type PacerClock } from "../../src/embedding/pacer";

/** A clock that moves only when the pacer sleeps. */
function manualClock(): PacerClock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const NONE = { tokensPerMinute: 0, requestsPerMinute: 0 };

describe("Pacer", () => {
  it("without a budget lets every call go at once", async () => {
    const clock = manualClock();
    const pacer = new Pacer(NONE, clock);
    for (let i = 0; i < 100; i++) expect(await pacer.acquire(10_000, clock.now())).toBe(true);
    expect(clock.slept).toEqual([]);
  });

  it("keeps to the tokens-per-minute budget: ten seconds' burst, then the budget's rate", async () => {
    const clock = manualClock();
    const pacer = new Pacer({ tokensPerMinute: 6000, requestsPerMinute: 0 }, clock); // 100 tokens/s, a burst of 1,000
    const start = clock.now();
    let sent = 0;
    for (let i = 0; i < 40; i++) {
      expect(await pacer.acquire(150, Number.POSITIVE_INFINITY)).toBe(true);
      sent += 150;
      const elapsed = clock.now() - start;
      // Never more than the burst, the rate since the start, and the call just let through.
      expect(sent).toBeLessThanOrEqual(1000 + (elapsed / 1000) * 100 + 150);
    }
    // 6,000 tokens at 100/s after a 1,000 burst: at least 48 s, and not much more.
    const elapsed = (clock.now() - start) / 1000;
    expect(elapsed).toBeGreaterThanOrEqual(48);
    expect(elapsed).toBeLessThan(52);
  });

  it("keeps to the requests-per-minute budget: one second's burst, then the budget's rate", async () => {
    const clock = manualClock();
    const pacer = new Pacer({ tokensPerMinute: 0, requestsPerMinute: 600 }, clock); // 10/s
    const start = clock.now();
    const at: number[] = [];
    for (let i = 0; i < 60; i++) {
      expect(await pacer.acquire(1, Number.POSITIVE_INFINITY)).toBe(true);
      at.push(clock.now() - start);
    }
    // 10 at once, then one every 100 ms: the 60th after ≈ 5 s.
    expect(at.filter((t) => t === 0).length).toBeLessThanOrEqual(11);
    expect(at[59]).toBeGreaterThanOrEqual(4900);
    expect(at[59]).toBeLessThan(5200);
    for (const [i, t] of at.entries()) expect(i + 1).toBeLessThanOrEqual(10 + 1 + t / 100);
  });

  it("holds every call until a busy answer's Retry-After has passed", async () => {
    const clock = manualClock();
    const pacer = new Pacer(NONE, clock);
    const start = clock.now();
    pacer.backOff(2500);
    expect(pacer.readyAt()).toBe(start + 2500);
    expect(await pacer.acquire(1, Number.POSITIVE_INFINITY)).toBe(true);
    expect(clock.now()).toBe(start + 2500);
  });

  it("does not wait for a call that could not finish before the deadline, going by recent calls", async () => {
    const clock = manualClock();
    const pacer = new Pacer(NONE, clock);
    pacer.recordCall(3000);
    pacer.backOff(1000);
    expect(await pacer.acquire(1, clock.now() + 3500)).toBe(false);
    expect(await pacer.acquire(1, clock.now() + 4500)).toBe(true);
    // A call that may go now always goes, however slow the recent ones were.
    pacer.recordCall(60_000);
    expect(await pacer.acquire(1, clock.now() + 10)).toBe(true);
  });

  it("answers false at once, taking nothing, when it could not call before the deadline", async () => {
    const clock = manualClock();
    const pacer = new Pacer(NONE, clock);
    pacer.backOff(60_000);
    expect(await pacer.acquire(1, clock.now() + 1000)).toBe(false);
    expect(clock.slept).toEqual([]);
  });
});

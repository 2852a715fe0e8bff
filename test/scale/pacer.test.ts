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

describe("Pacer", () => {
  it("without a budget lets every call go at once", async () => {
    const clock = manualClock();
    const pacer = new Pacer(0, clock);
    for (let i = 0; i < 100; i++) expect(await pacer.acquire(10_000, clock.now())).toBe(true);
    expect(clock.slept).toEqual([]);
  });

  it("keeps to the tokens-per-minute budget: ten seconds' burst, then the budget's rate", async () => {
    const clock = manualClock();
    const pacer = new Pacer(6000, clock); // 100 tokens/s, a burst of 1,000
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

  it("holds every call until a busy answer's Retry-After has passed", async () => {
    const clock = manualClock();
    const pacer = new Pacer(0, clock);
    const start = clock.now();
    pacer.backOff(2500);
    expect(pacer.readyAt()).toBe(start + 2500);
    expect(await pacer.acquire(1, Number.POSITIVE_INFINITY)).toBe(true);
    expect(clock.now()).toBe(start + 2500);
  });

  it("answers false at once, taking nothing, when it could not call before the deadline", async () => {
    const clock = manualClock();
    const pacer = new Pacer(0, clock);
    pacer.backOff(60_000);
    expect(await pacer.acquire(1, clock.now() + 1000)).toBe(false);
    expect(clock.slept).toEqual([]);
  });
});

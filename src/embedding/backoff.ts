/** Retry timing: exponential backoff with jitter. */

/**
 * Delay before the next try after `attempts` failed tries: base·2^(attempts−1), scaled by a
 * jitter factor in [1, 1.25) so rows that failed together don't retry in lockstep.
 */
export function backoffMs(baseMs: number, attempts: number, random: () => number): number {
  const exponent = Math.max(0, attempts - 1);
  return Math.round(baseMs * 2 ** exponent * (1 + random() * 0.25));
}

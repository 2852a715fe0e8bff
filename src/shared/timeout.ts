/**
 * A time limit on a promise. A call that never settles (a frozen embedder, a peer that accepted
 * the connection and went silent) must not hold its caller forever.
 */

/**
 * Resolves or rejects like `work`, or rejects with `onTimeout()` once `ms` have passed, whichever
 * comes first. The timer is cleared either way: a pending one would keep a Durable Object awake.
 * `work` itself is not cancelled; its late outcome is ignored.
 */
export async function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

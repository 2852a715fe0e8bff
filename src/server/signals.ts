/**
 * Owning SIGINT/SIGTERM. Importing wrangler registers listeners that exit at once (code 0), and
 * Miniflare's constructor registers some that dispose workerd and exit: either would cut the
 * graceful drain short, so the launcher keeps only its own. (Miniflare's `exit` hook stays, so
 * workerd still dies with the process.)
 */

const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Makes `handler` the only SIGINT/SIGTERM listener. */
export function claimSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (listener !== handler) process.removeListener(signal, listener);
    }
    if (!process.listeners(signal).includes(handler)) process.on(signal, handler);
  }
}

type Snapshot = Map<NodeJS.Signals, NodeJS.SignalsListener[]>;

function snapshot(): Snapshot {
  return new Map(STOP_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
}

function removeAddedSince(before: Snapshot): void {
  for (const signal of STOP_SIGNALS) {
    const kept = before.get(signal) ?? [];
    for (const listener of process.listeners(signal)) {
      if (!kept.includes(listener)) process.removeListener(signal, listener);
    }
  }
}

/** Runs `create`, then removes the SIGINT/SIGTERM listeners it added. */
export function withoutNewSignalListeners<T>(create: () => T): T {
  const before = snapshot();
  try {
    return create();
  } finally {
    removeAddedSince(before);
  }
}

/** Awaits `create`, then removes the SIGINT/SIGTERM listeners added meanwhile (module imports). */
export async function withoutNewSignalListenersAsync<T>(create: () => Promise<T>): Promise<T> {
  const before = snapshot();
  try {
    return await create();
  } finally {
    removeAddedSince(before);
  }
}

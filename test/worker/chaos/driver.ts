/**
 * Drives the EmbedWorker by hand: alarm runs, held batches, evictions, and the final drain that
 * brings every row to rest before the invariants are checked.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import {
  embedderStats,
  expireLeases,
  makeDue,
  queueRows,
  resetEmbedder,
  until,
  worker,
} from "../helpers";

/** How far away a parked alarm is: out of reach of real time during a test. */
const PARK_MS = 3_600_000;

/**
 * Moves a pending alarm an hour out. The worker re-arms for the earliest backoff (about a second
 * in tests); parking it keeps real time from running batches the seeded schedule didn't ask for.
 */
export async function parkAlarm(): Promise<void> {
  await runInDurableObject(worker(), async (_, state) => {
    if ((await state.storage.getAlarm()) !== null)
      await state.storage.setAlarm(Date.now() + PARK_MS);
  });
}

/** One alarm run, as the runtime would start it (kicked first so there is one to run). */
export async function runAlarm(): Promise<void> {
  await worker().kick();
  await runDurableObjectAlarm(worker());
  await parkAlarm();
}

/** Opens the test embedder's gate: held calls proceed. */
export async function releaseEmbedder(): Promise<void> {
  await env.EMBEDDER?.fetch("http://embedder/__control/release", { method: "POST" });
}

/** An alarm run started but not awaited; `settled` says whether it has finished. */
export interface RunningAlarm {
  result: Promise<unknown>;
  settled: () => boolean;
}

/** Starts an alarm run; its result is `null` on success, the error otherwise. */
export function startAlarm(): RunningAlarm {
  let done = false;
  const result = (async () => {
    await worker().kick();
    return runDurableObjectAlarm(worker());
  })().then(
    () => null,
    (err: unknown) => err,
  );
  void result.finally(() => {
    done = true;
  });
  return { result, settled: () => done };
}

/** Waits until a started alarm is held at the embedder's gate, or has finished without it. */
export async function untilHeld(run: RunningAlarm): Promise<boolean> {
  await until(
    async () => run.settled() || (await embedderStats()).waiting > 0,
    "the batch to reach the embedder",
  );
  return !run.settled();
}

/**
 * Brings the queue to rest: a healthy embedder, every backoff and lease over, alarm runs until
 * nothing is pending or processing. Returns how many rounds it took.
 */
export async function drain(maxRounds = 10): Promise<number> {
  await resetEmbedder();
  if ((await worker().status()).state === "paused") await worker().resume();
  for (let round = 1; round <= maxRounds; round++) {
    await makeDue();
    await expireLeases();
    await runAlarm();
    const busy = (await queueRows()).filter(
      (r) => r.status === "pending" || r.status === "processing",
    );
    if (busy.length === 0) return round;
  }
  throw new Error(`queue not drained after ${maxRounds} rounds`);
}

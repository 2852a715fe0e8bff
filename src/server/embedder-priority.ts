/**
 * The embedder yields the CPU to workerd. On a machine with few cores, onnxruntime's threads would
 * otherwise hold every core while the worker answers writes, and a write would wait behind an
 * embedding: the very cost the background queue exists to remove. So once workerd runs (at the
 * default priority), every thread of the launcher (the embedder's JS thread, onnxruntime's pool,
 * libuv's pool) gets a higher nice value; threads created later inherit it. An idle machine embeds
 * as fast as before; a busy one embeds when writes leave it the CPU.
 */
import { readdirSync } from "node:fs";
import { setPriority } from "node:os";

/** The nice value the launcher's threads get unless PYRITE_EMBEDDER_NICE says otherwise. */
const DEFAULT_EMBEDDER_NICE = 10;

/** PYRITE_EMBEDDER_NICE: 0–19; 0 leaves the priority alone. Throws on anything else. */
export function embedderNice(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_EMBEDDER_NICE;
  const nice = Number(value);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
    throw new Error(`PYRITE_EMBEDDER_NICE must be an integer from 0 to 19, not ${value}`);
  }
  return nice;
}

/**
 * Gives this process's threads nice value `nice` (only ever lowering their priority, which needs
 * no privilege). Linux addresses threads one by one through /proc/self/task; elsewhere the
 * process's priority is set. Returns how many threads were changed.
 */
export function lowerOwnPriority(nice: number): number {
  if (nice <= 0) return 0;
  let threads: number[];
  try {
    threads = readdirSync("/proc/self/task").map(Number);
  } catch {
    threads = [];
  }
  if (threads.length === 0) {
    try {
      setPriority(process.pid, nice);
      return 1;
    } catch {
      return 0;
    }
  }
  let changed = 0;
  for (const tid of threads) {
    try {
      setPriority(tid, nice);
      changed++;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return changed;
}

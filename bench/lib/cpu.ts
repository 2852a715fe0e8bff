/**
 * CPU time of processes from /proc/<pid>/stat (user + system), to say where the time of a phase
 * went: the launcher (Node: Miniflare's host side and the embedder) or workerd (the worker, D1,
 * the Durable Object).
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of `pid` so far, or undefined when it cannot be read. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
    return (user + system) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Starts counting CPU seconds of the named processes; `stop()` returns each one's share. */
export function measureCpu(pids: Record<string, number | undefined>): {
  stop(): Record<string, number>;
} {
  const start = new Map<string, number>();
  for (const [name, pid] of Object.entries(pids)) {
    const seconds = pid === undefined ? undefined : cpuSeconds(pid);
    if (seconds !== undefined) start.set(name, seconds);
  }
  return {
    stop() {
      const out: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) {
        const before = start.get(name);
        const after = pid === undefined ? undefined : cpuSeconds(pid);
        if (before !== undefined && after !== undefined) {
          out[name] = Math.round((after - before) * 100) / 100;
        }
      }
      return out;
    },
  };
}

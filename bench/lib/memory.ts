/**
 * Samples resident memory of processes from /proc/<pid>/status every ~100 ms: the peak of VmRSS
 * over the sampled interval, and VmHWM (the kernel's own high-water mark since the process began).
 */
import { readFileSync } from "node:fs";

/** One process's memory over a sampled interval, in MiB. */
export interface MemoryPeak {
  pid: number;
  /** Highest VmRSS seen while sampling. */
  peakRssMiB: number;
  /** VmRSS when sampling began. */
  startRssMiB: number;
  /** VmHWM at the end: the peak since the process started (start-up included). */
  hwmMiB: number;
  samples: number;
}

/** VmRSS and VmHWM of `pid` in KiB, or undefined when it cannot be read. */
export function readMemory(pid: number): { rssKiB: number; hwmKiB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /VmRSS:\s+(\d+)/.exec(text)?.[1];
    const hwm = /VmHWM:\s+(\d+)/.exec(text)?.[1];
    if (rss === undefined || hwm === undefined) return undefined;
    return { rssKiB: Number(rss), hwmKiB: Number(hwm) };
  } catch {
    return undefined;
  }
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

/** Starts sampling the named processes; `stop()` returns each one's peak. */
export function sampleMemory(
  pids: Record<string, number | undefined>,
  intervalMs = 100,
): { stop(): Record<string, MemoryPeak> } {
  const state = new Map<
    string,
    { pid: number; start: number; peak: number; hwm: number; n: number }
  >();
  const take = () => {
    for (const [name, pid] of Object.entries(pids)) {
      if (pid === undefined) continue;
      const memory = readMemory(pid);
      if (!memory) continue;
      const seen = state.get(name);
      if (!seen) {
        state.set(name, {
          pid,
          start: memory.rssKiB,
          peak: memory.rssKiB,
          hwm: memory.hwmKiB,
          n: 1,
        });
      } else {
        seen.peak = Math.max(seen.peak, memory.rssKiB);
        seen.hwm = Math.max(seen.hwm, memory.hwmKiB);
        seen.n++;
      }
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const out: Record<string, MemoryPeak> = {};
      for (const [name, s] of state) {
        out[name] = {
          pid: s.pid,
          peakRssMiB: mib(s.peak),
          startRssMiB: mib(s.start),
          hwmMiB: mib(s.hwm),
          samples: s.n,
        };
      }
      return out;
    },
  };
}

/** What the figures were measured on: the machine, its load, and the exact versions that ran. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "./paths.js";

/** The machine. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  os: string;
  /** 1/5/15-minute load averages when the bench began (other work on the machine shows here). */
  loadAvgAtStart: number[];
}

/** Versions of everything on the measured path. */
export type Versions = Record<string, string>;

/** The machine and its load now. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()}`,
    loadAvgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** The current 1/5/15-minute load averages. */
export function currentLoad(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

/** Finds `name`'s package.json starting from `from` and walking up node_modules directories. */
function packageVersion(name: string, from = PROJECT_ROOT): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "node_modules", name, "package.json");
    if (existsSync(candidate)) {
      const parsed: unknown = JSON.parse(readFileSync(candidate, "utf8"));
      if (typeof parsed === "object" && parsed !== null && "version" in parsed) {
        return String(parsed.version);
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return "not installed";
    dir = parent;
  }
}

function workerdVersion(): string {
  const bin = join(
    PROJECT_ROOT,
    "node_modules",
    "@cloudflare",
    `workerd-${process.platform}-64`,
    "bin",
    "workerd",
  );
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return packageVersion("workerd");
  }
}

/** Versions of node, the Workers toolchain and the embedding stack. */
export function versions(): Versions {
  const transformersDir = join(PROJECT_ROOT, "node_modules", "@huggingface", "transformers");
  return {
    node: process.version,
    workerd: `${workerdVersion()} (npm ${packageVersion("workerd")})`,
    wrangler: packageVersion("wrangler"),
    miniflare: packageVersion("miniflare"),
    "@huggingface/transformers": packageVersion("@huggingface/transformers"),
    // The copy transformers.js itself resolves (it may nest its own).
    "onnxruntime-node": packageVersion("onnxruntime-node", transformersDir),
    hono: packageVersion("hono"),
    "drizzle-orm": packageVersion("drizzle-orm"),
  };
}

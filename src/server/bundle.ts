/**
 * Bundles the worker exactly as `wrangler deploy` does (same esbuild settings, same nodejs_compat
 * polyfills), by running `wrangler deploy --dry-run --outdir`: what runs locally is what ships.
 * The bundle is cached under `.wrangler/pyrite-bundle/<key>`, keyed by the sources' names, sizes
 * and mtimes, so an unchanged tree starts without the ≈1.3 s of bundling.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { StartupError } from "./errors.js";
import { PROJECT_ROOT, WRANGLER_BIN, WRANGLER_CONFIG } from "./paths.js";

/** Environment that keeps wrangler offline and quiet. */
export const WRANGLER_OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
} as const;

const CACHE_DIR = join(PROJECT_ROOT, ".wrangler", "pyrite-bundle");
/** Inputs of the bundle besides src/: config and the dependency set. */
const INPUT_FILES = ["wrangler.toml", "package.json", "package-lock.json", "tsconfig.json"];
/** Old cache entries are removed once older than this (a running server may still be reading). */
const STALE_MS = 60 * 60 * 1000;

/** The last meaningful line wrangler printed, for a one-line error. */
function lastErrorLine(output: string): string {
  const lines = output
    .split("\n")
    .map((line) => stripVTControlCharacters(line).trim())
    .filter((line) => line.length > 0);
  return lines.find((line) => /error/i.test(line)) ?? lines.at(-1) ?? "no output";
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A key that changes whenever any bundle input may have changed. */
async function bundleKey(): Promise<string> {
  const files = [
    ...(await listFiles(join(PROJECT_ROOT, "src"))),
    ...INPUT_FILES.map((name) => join(PROJECT_ROOT, name)).filter((path) => existsSync(path)),
  ];
  const hash = createHash("sha256");
  for (const file of files) {
    const info = await stat(file);
    hash.update(`${file}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

/** `wrangler deploy --dry-run` into `outdir`, of wrangler.toml's `main` or of `entry`. */
function runDryRun(outdir: string, entry?: string): Promise<void> {
  return new Promise<void>((done, fail) => {
    execFile(
      process.execPath,
      [
        WRANGLER_BIN,
        "deploy",
        ...(entry === undefined ? [] : [entry]),
        "--dry-run",
        "--outdir",
        outdir,
        "--config",
        WRANGLER_CONFIG,
      ],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...WRANGLER_OFFLINE_ENV, FORCE_COLOR: "0" },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return done();
        fail(
          new StartupError(`bundling the worker failed: ${lastErrorLine(`${stderr}\n${stdout}`)}`),
        );
      },
    );
  });
}

async function pruneStale(keep: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(CACHE_DIR).catch(() => [])) {
    if (name === keep) continue;
    const path = join(CACHE_DIR, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
  }
}

/** The bundle's entry module, built now or taken from the cache. */
export async function bundleWorker(): Promise<string> {
  const key = await bundleKey();
  const dir = join(CACHE_DIR, key);
  const scriptPath = join(dir, "index.js");
  if (existsSync(scriptPath)) return scriptPath;
  // Built beside the cache and renamed into place, so concurrent starts never see half a bundle.
  const building = join(CACHE_DIR, `.${key}-${process.pid}-${Date.now()}`);
  await mkdir(building, { recursive: true });
  try {
    await runDryRun(building);
    if (!existsSync(join(building, "index.js")))
      throw new StartupError("bundling the worker produced no index.js");
    await rename(building, dir).catch(async (error: unknown) => {
      // Another start won the race with the same inputs: use its bundle.
      if (!existsSync(scriptPath)) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  await pruneStale(key).catch(() => undefined);
  return scriptPath;
}

/**
 * Bundles another entry module with the worker's settings (the scale bench's worker, which adds
 * a fake binding's entrypoint) into `outdir`, uncached; returns the bundle's path.
 */
export async function bundleEntry(entry: string, outdir: string): Promise<string> {
  await mkdir(outdir, { recursive: true });
  await runDryRun(outdir, entry);
  const name = entry.replace(/^.*\//, "").replace(/\.ts$/, ".js");
  const scriptPath = join(outdir, name);
  if (!existsSync(scriptPath)) throw new StartupError(`bundling ${entry} produced no ${name}`);
  return scriptPath;
}

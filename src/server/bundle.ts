/**
 * Bundles the worker exactly as `wrangler deploy` does (same esbuild settings, same nodejs_compat
 * polyfills), by running `wrangler deploy --dry-run --outdir`: what runs locally is what ships.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartupError } from "./errors.js";
import { PROJECT_ROOT, WRANGLER_BIN, WRANGLER_CONFIG } from "./paths.js";

/** A bundled worker in a temporary directory. */
export interface WorkerBundle {
  /** The bundle's entry module. */
  scriptPath: string;
  /** Removes the temporary directory. */
  dispose(): Promise<void>;
}

/** Environment that keeps wrangler offline and quiet. */
export const WRANGLER_OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
} as const;

/** The last meaningful line wrangler printed, for a one-line error. */
function lastErrorLine(output: string): string {
  const lines = output
    .split("\n")
    .map((line) => line.replace(/\u001b\[[0-9;]*m/g, "").trim())
    .filter((line) => line.length > 0);
  return lines.find((line) => /error/i.test(line)) ?? lines.at(-1) ?? "no output";
}

/** Runs the deploy dry run into a fresh temporary directory. */
export async function bundleWorker(): Promise<WorkerBundle> {
  const outdir = await mkdtemp(join(tmpdir(), "pyrite-bundle-"));
  const dispose = () => rm(outdir, { recursive: true, force: true });
  try {
    await new Promise<void>((done, fail) => {
      execFile(
        process.execPath,
        [WRANGLER_BIN, "deploy", "--dry-run", "--outdir", outdir, "--config", WRANGLER_CONFIG],
        {
          cwd: PROJECT_ROOT,
          env: { ...process.env, ...WRANGLER_OFFLINE_ENV, FORCE_COLOR: "0" },
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error) fail(new StartupError(`bundling the worker failed: ${lastErrorLine(`${stderr}\n${stdout}`)}`));
          else done();
        },
      );
    });
    const scriptPath = join(outdir, "index.js");
    if (!existsSync(scriptPath)) throw new StartupError(`bundling the worker produced no ${scriptPath}`);
    return { scriptPath, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

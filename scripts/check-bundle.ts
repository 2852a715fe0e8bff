/**
 * Bundles the worker exactly as `wrangler deploy` would (`--dry-run`: no network, no account),
 * for the local config and for `--env production`, and fails if a bundle is too large or carries
 * an ML runtime: the model belongs in the Node embedder or Workers AI, never inside the worker.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MAX_BYTES = 3 * 1024 * 1024;
const FORBIDDEN = [/onnxruntime/i, /@huggingface\/transformers/i, /\.onnx\b/];

function bundle(env: string | undefined): void {
  const outdir = mkdtempSync(join(tmpdir(), "pyrite-bundle-"));
  try {
    const args = ["wrangler", "deploy", "--dry-run", "--outdir", outdir];
    if (env) args.push("--env", env);
    execFileSync("npx", args, {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    });
    const file = join(outdir, "index.js");
    const size = statSync(file).size;
    const code = readFileSync(file, "utf8");
    const label = env ?? "local";
    if (size > MAX_BYTES) throw new Error(`${label} bundle is ${size} bytes (> ${MAX_BYTES})`);
    const hit = FORBIDDEN.find((pattern) => pattern.test(code));
    if (hit)
      throw new Error(`${label} bundle contains ${hit}: no ML runtime belongs in the worker`);
    console.log(`bundle ok (${label}): ${(size / 1024).toFixed(0)} KiB`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

bundle(undefined);
bundle("production");

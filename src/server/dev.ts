/**
 * `npm run dev`: `wrangler dev` (hot reload) with the Node embedder reachable, for people working
 * on the code. Extra arguments go to `wrangler dev` (e.g. `npm run dev -- --port 8790`).
 *
 * The embedder runs in this process on a free loopback port. In `wrangler dev` the `EMBEDDER`
 * service binding of wrangler.toml is a stub that fails ("not connected") unless a worker named
 * like its service runs in the same session; so a tiny proxy worker of that name is run beside
 * the main one (`wrangler dev -c wrangler.toml -c <proxy>`), forwarding to the Node embedder.
 * The binding then works exactly as under `npm start`. `EMBEDDER_URL` is passed too, for the
 * worker's own URL fallback. D1 migrations are applied first, as `npm start` does.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";
import { startEmbedderServer } from "../node/embedder-server.js";
import { useEmbedder } from "../node/use-embedder.js";
import { WRANGLER_OFFLINE_ENV } from "./bundle.js";
import { oneLine } from "./errors.js";
import { PROJECT_ROOT, WRANGLER_BIN, WRANGLER_CONFIG } from "./paths.js";
import { claimSignals } from "./signals.js";

const PROXY_SCRIPT = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(env.EMBEDDER_URL + url.pathname + url.search, request));
  },
};
`;

/** The service name wrangler.toml binds `EMBEDDER` to. */
function embedderServiceName(): string {
  const services: { binding: string; service: string }[] =
    unstable_readConfig({ config: WRANGLER_CONFIG }).services ?? [];
  return services.find((s) => s.binding === "EMBEDDER")?.service ?? "pyrite-embedder";
}

/** Writes the proxy worker and its config; returns the config's path. */
async function writeProxy(dir: string, embedderUrl: string): Promise<string> {
  await writeFile(join(dir, "proxy.mjs"), PROXY_SCRIPT);
  const config = join(dir, "wrangler.toml");
  await writeFile(
    config,
    [
      `name = ${JSON.stringify(embedderServiceName())}`,
      `main = "proxy.mjs"`,
      `compatibility_date = "2026-04-20"`,
      "",
      "[vars]",
      `EMBEDDER_URL = ${JSON.stringify(embedderUrl)}`,
      "",
    ].join("\n"),
  );
  return config;
}

function run(args: string[], stdio: "inherit" | "ignore" = "inherit") {
  return spawn(process.execPath, [WRANGLER_BIN, ...args], {
    cwd: PROJECT_ROOT,
    stdio,
    // CI: no confirmation prompt from `d1 migrations apply`.
    env: { ...process.env, ...WRANGLER_OFFLINE_ENV, CI: "true" },
  });
}

/** `--persist-to` among the arguments passed through, so migrations go where dev reads. */
function persistArgs(args: string[]): string[] {
  const at = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
  if (at < 0) return [];
  const arg = args[at] ?? "";
  return arg.includes("=") ? [arg] : [arg, args[at + 1] ?? ""];
}

async function main(): Promise<void> {
  const passThrough = process.argv.slice(2);
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  const resolved = await useEmbedder(process.env, warn).catch((error: unknown) => {
    throw new Error(`cannot load the embedding model: ${oneLine(error)}`);
  });
  const embedder = await startEmbedderServer({ embedder: resolved.embedder, port: 0 });
  warn(`embedder (${resolved.info.provider}: ${resolved.info.model.id}) on ${embedder.url}`);
  const dir = await mkdtemp(join(tmpdir(), "pyrite-dev-"));
  const proxyConfig = await writeProxy(dir, embedder.url);

  const migrate = run([
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    "--config",
    WRANGLER_CONFIG,
    ...persistArgs(passThrough),
  ]);
  const migrated = await new Promise<number | null>((done) => migrate.on("exit", done));
  if (migrated !== 0) throw new Error("applying D1 migrations failed (see above)");

  const wrangler = run([
    "dev",
    "--config",
    WRANGLER_CONFIG,
    "--config",
    proxyConfig,
    "--var",
    `EMBEDDER_URL:${embedder.url}`,
    ...passThrough,
  ]);
  // Passed on, and ours alone: wrangler's own import-time handlers would exit at once and orphan
  // the `wrangler dev` child. (Ctrl-C in a terminal also reaches wrangler directly.)
  claimSignals((signal) => {
    wrangler.kill(signal);
  });
  wrangler.on("exit", (code) => {
    Promise.allSettled([embedder.close(), rm(dir, { recursive: true, force: true })]).finally(() =>
      process.exit(code ?? 0),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`pyrite dev: ${oneLine(error)}\n`);
  process.exit(1);
});

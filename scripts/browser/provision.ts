/**
 * Makes sure the status-page test has a browser before `npm test` runs it: use one that is
 * there, else install one the way this machine allows (Debian's package when root with apt,
 * Playwright's own download where downloads are allowed), else fail with one line that says how
 * to get one. Runs as a step of `npm test`, so a fresh machine needs nothing else.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { BROWSER_ENV, findBrowser, NO_BROWSER_HINT } from "./find.js";

/** Runs a command with its output shown; true when it exited 0. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const result = spawnSync(command, args, { stdio: "inherit", env, timeout: 10 * 60_000 });
  return result.status === 0;
}

function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Debian's chromium, when this process may install packages. */
function installDebianPackage(): boolean {
  if (process.getuid?.() !== 0 || !hasCommand("apt-get")) return false;
  console.log("provision: installing Debian's chromium for the browser test");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = ["install", "-y", "--no-install-recommends", "chromium"];
  // The package lists may be missing on a fresh image: refresh them only when a first try fails.
  return (
    run("apt-get", install, env) ||
    (run("apt-get", ["update"], env) && run("apt-get", install, env))
  );
}

/** Playwright's own Chromium download (fails where the network does not reach its CDN). */
function installPlaywrightBrowser(): boolean {
  console.log("provision: trying Playwright's Chromium download");
  // The package exports no `cli` subpath; its bin sits beside its package.json.
  const pkg = createRequire(import.meta.url).resolve("playwright-core/package.json");
  return run(process.execPath, [join(dirname(pkg), "cli.js"), "install", "chromium"]);
}

function main(): number {
  if (findBrowser()) return 0;
  if (!process.env[BROWSER_ENV]) {
    if (installDebianPackage() && findBrowser()) return 0;
    if (installPlaywrightBrowser() && findBrowser()) return 0;
  }
  console.error(`provision: ${NO_BROWSER_HINT}`);
  return 1;
}

process.exitCode = main();

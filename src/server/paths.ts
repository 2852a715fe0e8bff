/** Where the project's files are, wherever the launcher is started from. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (two levels above src/server/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The single source of truth for the worker's bindings. */
export const WRANGLER_CONFIG = join(PROJECT_ROOT, "wrangler.toml");

/** The wrangler CLI of this project (the same one `npm run deploy:dry` uses). */
export const WRANGLER_BIN = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Default state directory: wrangler's own, so `wrangler d1 ... --local` sees the same data. */
export const DEFAULT_STATE_DIR = join(PROJECT_ROOT, ".wrangler", "state");

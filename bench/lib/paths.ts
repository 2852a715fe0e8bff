/** Where the bench's files are. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (two levels above bench/lib/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Committed results. */
export const RESULTS_DIR = join(PROJECT_ROOT, "bench", "results");

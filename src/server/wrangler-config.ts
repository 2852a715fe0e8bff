/** What the launcher reads from wrangler.toml beyond the worker's options: crons. */
import { unstable_readConfig } from "wrangler";
import { WRANGLER_CONFIG } from "./paths.js";

export { applyMigrations, readMigrationSources } from "./migrations.js";

/** The crons of wrangler.toml; each is run every minute (the worker's is `* * * * *`). */
export function readCrons(): string[] {
  const crons: string[] | undefined = unstable_readConfig({ config: WRANGLER_CONFIG }).triggers
    .crons;
  return crons ?? [];
}

// Test-only bindings added by vitest.config.ts (not part of the deployed worker's Env).
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}

// Test-only bindings added by vitest.config.ts (not part of the deployed worker's Env).
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The fake Workers AI binding's controls (the `scale` project; test/support/fake-ai.ts). */
    FAKE_AI: Service<import("./support/fake-ai").FakeAi>;
  }
}

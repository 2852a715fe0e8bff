/**
 * Calls the app directly, with the test env or a modified one (a token, CORS origins), and waits
 * for its background work. Many-request tests use this rather than `exports.default.fetch`, which
 * in this pool gets slower with every request a file makes (≈0.2 ms more each).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { apiClient } from "../../src/contract/client";
import type { EntryWriteResult } from "../../src/shared/api-types";

const app = createApp();

/**
 * Where tests address the app: a loopback name, as a local client does (the app answers only
 * loopback Host names unless `ALLOWED_HOSTS` says otherwise).
 */
export const BASE_URL = "http://localhost:8787";

/**
 * The env with what a test may add or blank out: the token is a secret (not among the typed
 * vars), and an unset `CORS_ORIGINS`, `ALLOWED_HOSTS` or `PYRITE_ENV` must behave like its default.
 */
export type TestEnv = Omit<Env, "CORS_ORIGINS" | "ALLOWED_HOSTS" | "PYRITE_ENV"> & {
  CORS_ORIGINS?: string;
  ALLOWED_HOSTS?: string;
  PYRITE_ENV?: string;
  PYRITE_API_TOKEN?: string;
  SEARCH_EMBED_TIMEOUT_MS?: string;
};

/**
 * One request to the app (at `base`, the test server's URL unless a test is about hosts);
 * `waitUntil` work (events, kicks) has finished when it resolves.
 */
export async function appFetch(
  path: string,
  init: RequestInit = {},
  withEnv: TestEnv = env,
  base = BASE_URL,
): Promise<Response> {
  const ctx = createExecutionContext();
  // Settings are parsed from whatever the env holds, as in production; the type only differs in
  // the optional extras above.
  const res = await app.fetch(new Request(`${base}${path}`, init), withEnv as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The typed client (src/contract/client.ts) over the app in this isolate, with `withEnv`. */
export function appClient(withEnv: TestEnv = env) {
  return apiClient(BASE_URL, {
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      return appFetch(`${url.pathname}${url.search}`, request, withEnv);
    },
  });
}

/** Sends a JSON body (a string is sent as it is). */
export function appSend(
  method: string,
  path: string,
  body: unknown,
  withEnv: TestEnv = env,
): Promise<Response> {
  return appFetch(
    path,
    {
      method,
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    },
    withEnv,
  );
}

/** Creates an entry, asserting 201; returns the parsed answer. */
export async function appCreate(body: Record<string, unknown>, withEnv: TestEnv = env) {
  const res = await appSend("POST", "/api/entries", body, withEnv);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return await res.json<EntryWriteResult>();
}

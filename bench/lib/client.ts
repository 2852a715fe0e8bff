/**
 * The bench's connection to the API: the one typed client (src/contract/client.ts), so every
 * call's path, input and answer are typed by the contract, over the keep-alive node:http
 * transport (keep-alive-fetch.ts) that times each call from just before its request is written to
 * the last byte of its answer.
 */
import type { ClientResponse } from "hono/client";
import { ApiCallError, apiClient, ok, type SuccessBody } from "../../src/contract/client.js";
import type { EmbedStatus, WorkerAnswer } from "../../src/shared/api-types.js";
import { type KeepAliveFetch, keepAliveFetch, roundTripMs } from "./keep-alive-fetch.js";

/** The API of one server over loopback. */
export class BenchClient {
  /** The API, route by route (see src/contract); read answers with `ok()` or {@link timed}. */
  readonly http: ReturnType<typeof apiClient>;
  private readonly transport: KeepAliveFetch;

  /** `baseUrl` is the server's `http://host:port`; `maxSockets` bounds concurrent connections. */
  constructor(baseUrl: string, token?: string, maxSockets = 64) {
    this.transport = keepAliveFetch(maxSockets);
    this.http = apiClient(baseUrl, { token, fetch: this.transport.fetch });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.transport.close();
  }
}

/** One timed answer: its status, its round trip, and its 2xx body or the API's error. */
export type Timed<B> = { status: number; ms: number } & (
  | { body: B; error?: undefined }
  | { body?: undefined; error: ApiCallError }
);

/**
 * A call of the typed client with its round trip; never throws for an HTTP status (only for a
 * transport failure), so a caller can count answers it did not expect.
 */
export async function timed<R extends ClientResponse<unknown>>(
  call: Promise<R>,
): Promise<Timed<SuccessBody<R>>> {
  const response = await call;
  const base = { status: response.status, ms: roundTripMs(response) };
  try {
    return { ...base, body: await ok(response) };
  } catch (error) {
    if (!(error instanceof ApiCallError)) throw error;
    return { ...base, error };
  }
}

/** Reads the status (of one KB, or of all). */
export function embedStatus(api: BenchClient, kb?: string): Promise<EmbedStatus> {
  return ok(api.http.api.index["embed-status"].$get({ query: { kb } }));
}

/** Pauses the server's EmbedWorker (it finishes the round in hand) or resumes it. */
export function setWorker(api: BenchClient, action: "pause" | "resume"): Promise<WorkerAnswer> {
  return ok(api.http.api.index.embed[action].$post({ json: {} }));
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Polls the status until nothing is pending or processing; resolves with the last status and the
 * time it was first seen empty. Rejects after `timeoutMs`.
 */
export async function waitForDrain(
  api: BenchClient,
  options: { kb?: string; timeoutMs: number; pollMs?: number },
): Promise<{ status: EmbedStatus; at: number }> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const status = await embedStatus(api, options.kb);
    if (status.pending === 0 && status.processing === 0) return { status, at: performance.now() };
    if (performance.now() > deadline) {
      throw new Error(
        `queue not drained after ${options.timeoutMs} ms: ${status.pending} pending, ${status.processing} processing`,
      );
    }
    await sleep(options.pollMs ?? 50);
  }
}

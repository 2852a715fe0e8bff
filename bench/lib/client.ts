/**
 * A minimal HTTP client for the bench: node:http over one keep-alive agent (lighter per request
 * than fetch, so the client adds as little as it can to the latencies it measures), timing each
 * call from just before the request is written to the last byte of the answer.
 */
import { Agent, request } from "node:http";
import type { EmbedStatus } from "../../src/shared/api-types.js";
import { parseErrorBody } from "../../src/shared/schemas/error.js";

/** One answered call. */
export interface Answer {
  status: number;
  /** The body parsed as JSON, or the raw text when it isn't JSON. */
  body: unknown;
  /** Round trip in milliseconds. */
  ms: number;
}

/** Thrown for a non-2xx answer where one was required. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    const error = parseErrorBody(body, status);
    super(`${what}: HTTP ${status} ${error.code}: ${error.message.slice(0, 300)}`);
    this.name = "HttpError";
  }
}

/** A request lost because the server closed the kept-alive socket it was sent on. */
class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(`stale keep-alive socket: ${cause.message}`, { cause });
  }
}

/** The server's API over loopback. */
export class ApiClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly token?: string,
    maxSockets = 64,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** The server's base URL (`http://host:port`). */
  get base(): string {
    return this.url.origin;
  }

  /**
   * Any call; never throws for an HTTP status (only for a transport failure). A request that
   * fails on a reused keep-alive socket before any answer is sent once more on a fresh one: the
   * server closed that idle socket as the request went out, so it never saw the request (the race
   * Node's http docs describe for `reusedSocket`). A request the server did see is never resent.
   */
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    try {
      return await this.send(method, path, body);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) throw error;
      return this.send(method, path, body, false);
    }
  }

  private send(method: string, path: string, body: unknown, reuse = true): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.byteLength);
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method,
          headers,
          // A retry must not pick another idle socket that may be just as stale.
          agent: reuse ? this.agent : false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const ms = performance.now() - started;
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text.length > 0 ? JSON.parse(text) : null;
            } catch {
              // Not JSON: keep the text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms });
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        const stale =
          req.reusedSocket && (error.code === "ECONNRESET" || error.message === "socket hang up");
        reject(stale ? new StaleSocketError(error) : error);
      });
      req.end(payload);
    });
  }

  /** A call that must answer 2xx; returns the parsed body. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call(method, path, body);
    if (answer.status < 200 || answer.status > 299) {
      throw new HttpError(answer.status, answer.body, `${method} ${path}`);
    }
    return answer.body as T;
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

export type { EmbedStatus };

/** Reads the status. */
export function embedStatus(api: ApiClient, kb?: string): Promise<EmbedStatus> {
  const query = kb === undefined ? "" : `?kb=${encodeURIComponent(kb)}`;
  return api.json<EmbedStatus>("GET", `/api/index/embed-status${query}`);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Polls the status until nothing is pending or processing; resolves with the last status and the
 * time it was first seen empty. Rejects after `timeoutMs`.
 */
export async function waitForDrain(
  api: ApiClient,
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

/**
 * A `fetch` over `node:http` with one keep-alive Agent: the transport the bench gives the typed
 * client (src/contract/client.ts) so that the client adds as little as it can to the latencies it
 * measures (lighter per request than the global fetch). Each answer is read to its last byte
 * before its Response resolves, and the round trip, from just before the request is written to
 * that last byte, is recorded for {@link roundTripMs}.
 */
import { Agent, type IncomingMessage, request } from "node:http";

/** Round trip of every Response this transport made, in milliseconds. */
const roundTrips = new WeakMap<object, number>();

/**
 * The round trip of an answer this transport fetched (the typed client hands back the Response
 * the transport made): from just before its request was written to its last byte read.
 */
export function roundTripMs(response: object): number {
  const ms = roundTrips.get(response);
  if (ms === undefined) throw new Error("not an answer of the keep-alive transport");
  return ms;
}

/** A request lost because the server closed the kept-alive socket it was sent on. */
class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(`stale keep-alive socket: ${cause.message}`, { cause });
  }
}

/** A request as node:http sends it. */
interface Outgoing {
  url: URL;
  method: string;
  headers: Record<string, string>;
  payload: Buffer | undefined;
  signal: AbortSignal | undefined;
}

/** The request `fetch(input, init)` describes; a body that is not text is read as bytes first. */
async function outgoing(input: string | URL | Request, init: RequestInit = {}): Promise<Outgoing> {
  const { body } = init;
  const plain =
    !(input instanceof Request) &&
    (body === undefined || body === null || typeof body === "string");
  const req = plain ? undefined : new Request(input, init);
  const headers: Record<string, string> = {};
  for (const [name, value] of new Headers(req?.headers ?? init.headers)) headers[name] = value;
  let payload: Buffer | undefined;
  if (req) {
    const bytes = Buffer.from(await req.arrayBuffer());
    payload = bytes.byteLength > 0 ? bytes : undefined;
  } else if (typeof body === "string") {
    payload = Buffer.from(body);
  }
  if (payload) headers["content-length"] = String(payload.byteLength);
  return {
    url: new URL(req?.url ?? String(input)),
    method: req?.method ?? init.method ?? "GET",
    headers,
    payload,
    signal: req?.signal ?? init.signal ?? undefined,
  };
}

/** The answer as a Response (a status with no body, 204/205/304, gets none). */
function toResponse(res: IncomingMessage, body: Buffer): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    headers.append(res.rawHeaders[i] ?? "", res.rawHeaders[i + 1] ?? "");
  }
  const empty = status === 204 || status === 205 || status === 304;
  return new Response(empty ? null : new Uint8Array(body), {
    status,
    statusText: res.statusMessage,
    headers,
  });
}

/** A `fetch` over node:http on one keep-alive Agent; `close()` ends its idle sockets. */
export interface KeepAliveFetch {
  fetch: typeof fetch;
  close(): void;
}

/** A keep-alive transport of at most `maxSockets` concurrent connections. */
export function keepAliveFetch(maxSockets = 64): KeepAliveFetch {
  const agent = new Agent({ keepAlive: true, maxSockets });

  const send = (out: Outgoing, reuse: boolean): Promise<Response> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(
        {
          host: out.url.hostname,
          port: out.url.port,
          path: `${out.url.pathname}${out.url.search}`,
          method: out.method,
          headers: out.headers,
          signal: out.signal,
          // A retry must not pick another idle socket that may be just as stale.
          agent: reuse ? agent : false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const ms = performance.now() - started;
            try {
              const response = toResponse(res, Buffer.concat(chunks));
              roundTrips.set(response, ms);
              resolve(response);
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        const stale =
          req.reusedSocket && (error.code === "ECONNRESET" || error.message === "socket hang up");
        reject(stale ? new StaleSocketError(error) : error);
      });
      req.end(out.payload);
    });

  /**
   * A request that fails on a reused keep-alive socket before any answer is sent once more on a
   * fresh one: the server closed that idle socket as the request went out, so it never saw the
   * request (the race Node's http docs describe for `reusedSocket`). A request the server did
   * see is never resent. Other transport failures reject, as fetch's do.
   */
  const fetchOver = async (input: string | URL | Request, init?: RequestInit) => {
    const out = await outgoing(input, init);
    try {
      return await send(out, true);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) throw error;
      return send(out, false);
    }
  };

  return { fetch: fetchOver, close: () => agent.destroy() };
}

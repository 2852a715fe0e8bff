/**
 * An Embedder that talks the embedder protocol (see protocol.ts) to the Node embedder process:
 * through a workerd service binding (`env.EMBEDDER`) or the global fetch and a URL (`wrangler dev`).
 */

import { parseErrorBody } from "../shared/schemas/error.js";
import { withTimeout } from "../shared/timeout.js";
import {
  decodeVectors,
  EmbedderProtocolError,
  embedRequestBytes,
  HEADERS,
  isEmbedderInfo,
  MAX_BODY_BYTES,
  MAX_TEXTS,
  PATHS,
  parseCountHeader,
  parseTruncated,
} from "./protocol.js";
import type { Embedder, EmbedderInfo, EmbedOutput } from "./types.js";
import { assertValidOutput } from "./validate.js";

/** Anything with a fetch: a service binding, or `{ fetch }` over the global fetch. */
export interface Fetcher {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

async function failure(response: Response, what: string): Promise<EmbedderProtocolError> {
  const { code, message } = parseErrorBody(await response.text());
  return new EmbedderProtocolError(
    response.status,
    code,
    `embedder ${what} failed (${response.status} ${code}): ${message}`,
  );
}

/** Splits texts into request-sized chunks (count and body-size limits); an oversized text goes alone. */
function chunk(texts: string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  // Sizing each text on its own avoids re-encoding the growing chunk; quotes/commas are the slack.
  let bytes = embedRequestBytes([]);
  for (const text of texts) {
    const size = embedRequestBytes([text]) - embedRequestBytes([]) + 1;
    if (current.length > 0 && (current.length >= MAX_TEXTS || bytes + size > MAX_BODY_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = embedRequestBytes([]);
    }
    current.push(text);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** How long one call (request and response body) may take unless the caller says otherwise. */
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/**
 * Creates an Embedder over the protocol. `info()` is fetched once and cached (not on failure).
 * Every HTTP call has a deadline of `timeoutMs`: a frozen embedder process fails the call (and
 * the request is aborted) instead of holding its caller forever.
 */
export function createRemoteEmbedder(
  fetcher: Fetcher,
  baseUrl = "http://embedder",
  timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
): Embedder {
  const base = baseUrl.replace(/\/+$/, "");
  let infoPromise: Promise<EmbedderInfo> | undefined;

  /** Runs one call under the deadline, aborting its request when the deadline passes. */
  const call = <T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    return withTimeout(run(controller.signal), timeoutMs, () => {
      controller.abort();
      return new EmbedderProtocolError(
        504,
        "timeout",
        `embedder ${what} did not answer within ${timeoutMs} ms`,
      );
    });
  };

  const fetchInfo = (): Promise<EmbedderInfo> =>
    call("info", async (signal) => {
      const response = await fetcher.fetch(`${base}${PATHS.info}`, { method: "GET", signal });
      if (!response.ok) throw await failure(response, "info");
      const body: unknown = await response.json();
      if (!isEmbedderInfo(body))
        throw new Error(`embedder info is malformed: ${JSON.stringify(body).slice(0, 300)}`);
      return body;
    });

  const info = (): Promise<EmbedderInfo> => {
    if (infoPromise === undefined) {
      infoPromise = fetchInfo().catch((error: unknown) => {
        infoPromise = undefined;
        throw error;
      });
    }
    return infoPromise;
  };

  const embedChunk = (texts: string[], dims: number): Promise<EmbedOutput> =>
    call("embed", async (signal) => {
      const response = await fetcher.fetch(`${base}${PATHS.embed}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ texts }),
        signal,
      });
      if (!response.ok) throw await failure(response, "embed");
      const count = parseCountHeader(HEADERS.count, response.headers.get(HEADERS.count));
      const responseDims = parseCountHeader(HEADERS.dims, response.headers.get(HEADERS.dims));
      if (responseDims !== dims)
        throw new Error(`embedder answered ${responseDims} dimensions, its info says ${dims}`);
      const vectors = decodeVectors(await response.arrayBuffer(), count, dims);
      const batch = { vectors, truncated: parseTruncated(response.headers.get(HEADERS.truncated)) };
      assertValidOutput(batch, texts.length, dims);
      return batch;
    });

  return {
    info,
    embed: async (texts: string[]): Promise<EmbedOutput> => {
      const { model } = await info();
      const vectors: Float32Array[] = [];
      const truncated: number[] = [];
      for (const part of chunk(texts)) {
        const offset = vectors.length;
        const batch = await embedChunk(part, model.dims);
        vectors.push(...batch.vectors);
        truncated.push(...batch.truncated.map((index) => index + offset));
      }
      const batch = { vectors, truncated };
      assertValidOutput(batch, texts.length, model.dims);
      return batch;
    },
  };
}

/**
 * An Embedder that talks the embedder protocol (see protocol.ts) to the Node embedder process:
 * through a workerd service binding (`env.EMBEDDER`) or the global fetch and a URL (`wrangler dev`).
 * It embeds with the model the process started with, or with a model it names (a migration's
 * target, a serving model the process did not start with), which the process then holds too.
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
import { type Embedder, type EmbedderInfo, type EmbedOutput, fingerprintKey } from "./types.js";
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
function chunk(texts: string[], model?: string): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  // Sizing each text on its own avoids re-encoding the growing chunk; quotes/commas are the slack.
  const empty = embedRequestBytes([], model);
  let bytes = empty;
  for (const text of texts) {
    const size = embedRequestBytes([text]) - embedRequestBytes([]) + 1;
    if (current.length > 0 && (current.length >= MAX_TEXTS || bytes + size > MAX_BODY_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = empty;
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
 * the request is aborted) instead of holding its caller forever. With `model` (a spec: what
 * `PYRITE_MODEL` takes, or a model id), `info()` asks the process to load that model and every
 * embed names it; a process that lost it (restarted) is asked to load it again, once per call.
 */
export function createRemoteEmbedder(
  fetcher: Fetcher,
  baseUrl = "http://embedder",
  timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  model?: string,
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
      const response =
        model === undefined
          ? await fetcher.fetch(`${base}${PATHS.info}`, { method: "GET", signal })
          : await fetcher.fetch(`${base}${PATHS.models}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model }),
              signal,
            });
      if (!response.ok) throw await failure(response, model === undefined ? "info" : "load");
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

  const embedChunk = (texts: string[], dims: number, key?: string): Promise<EmbedOutput> =>
    call("embed", async (signal) => {
      const response = await fetcher.fetch(`${base}${PATHS.embed}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ texts, model: key }),
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

  /** One chunk with the named model, loaded again if the process no longer holds it. */
  const embedNamed = async (texts: string[]): Promise<EmbedOutput> => {
    const held = await info();
    const key = fingerprintKey(held.model);
    try {
      return await embedChunk(texts, held.model.dims, key);
    } catch (error) {
      if (!(error instanceof EmbedderProtocolError) || error.code !== "model_not_loaded")
        throw error;
      infoPromise = undefined;
      const again = await info();
      if (fingerprintKey(again.model) !== key) {
        throw new Error(`embedder loaded ${fingerprintKey(again.model)} for ${model}, not ${key}`);
      }
      return embedChunk(texts, again.model.dims, key);
    }
  };

  return {
    info,
    embed: async (texts: string[]): Promise<EmbedOutput> => {
      const held = await info();
      const key = model === undefined ? undefined : fingerprintKey(held.model);
      const vectors: Float32Array[] = [];
      const truncated: number[] = [];
      for (const part of chunk(texts, key)) {
        const offset = vectors.length;
        const batch =
          model === undefined ? await embedChunk(part, held.model.dims) : await embedNamed(part);
        vectors.push(...batch.vectors);
        truncated.push(...batch.truncated.map((index) => index + offset));
      }
      const batch = { vectors, truncated };
      assertValidOutput(batch, texts.length, held.model.dims);
      return batch;
    },
  };
}

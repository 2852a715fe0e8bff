/**
 * The embedder protocol's server side (see src/embedder/protocol.ts) as a plain function, which
 * is what miniflare's `serviceBindings.EMBEDDER` accepts and what the standalone server wraps.
 * It only uses `method`, `url` and `arrayBuffer()` of the request, since miniflare hands over a
 * Request-like object.
 */
import {
  ERROR_STATUS,
  encodeVectors,
  errorBody,
  formatTruncated,
  HEADERS,
  PATHS,
  type ProtocolErrorCode,
  parseEmbedRequest,
} from "../embedder/protocol.js";
import type { Embedder } from "../embedder/types.js";
import { assertValidOutput } from "../embedder/validate.js";

/** The request fields the handler reads. */
export interface RequestLike {
  method: string;
  url: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function errorResponse(code: ProtocolErrorCode, message: string): Response {
  return jsonResponse(ERROR_STATUS[code], errorBody(code, message));
}

/**
 * Runs tasks one at a time. onnxruntime already spreads one batch over both cores; concurrent
 * batches would only fight over them and make every request's latency unpredictable.
 */
function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };
}

/** Creates the protocol handler over `embedder`. */
export function createEmbedderHandler(
  embedder: Embedder,
): (request: RequestLike) => Promise<Response> {
  const serial = createSerialQueue();

  const embed = async (request: RequestLike): Promise<Response> => {
    const parsed = parseEmbedRequest(new Uint8Array(await request.arrayBuffer()));
    if (!parsed.ok) return errorResponse(parsed.code, parsed.message);
    try {
      const { model } = await embedder.info();
      const batch = await serial(() => embedder.embed(parsed.texts));
      assertValidOutput(batch, parsed.texts.length, model.dims);
      return new Response(encodeVectors(batch.vectors, model.dims), {
        status: 200,
        headers: {
          "content-type": "application/octet-stream",
          [HEADERS.count]: String(batch.vectors.length),
          [HEADERS.dims]: String(model.dims),
          [HEADERS.truncated]: formatTruncated(batch.truncated),
        },
      });
    } catch (error) {
      return errorResponse("embed_failed", error instanceof Error ? error.message : String(error));
    }
  };

  return async (request: RequestLike): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname === PATHS.info) {
      if (request.method !== "GET")
        return errorResponse("method_not_allowed", `${request.method} ${pathname}: use GET`);
      try {
        return jsonResponse(200, await embedder.info());
      } catch (error) {
        return errorResponse(
          "embed_failed",
          error instanceof Error ? error.message : String(error),
        );
      }
    }
    if (pathname === PATHS.embed) {
      if (request.method !== "POST")
        return errorResponse("method_not_allowed", `${request.method} ${pathname}: use POST`);
      return embed(request);
    }
    return errorResponse("not_found", `no route ${request.method} ${pathname}`);
  };
}

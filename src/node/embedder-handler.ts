/**
 * The embedder protocol's server side (see src/embedder/protocol.ts) as a plain function, which
 * is what miniflare's `serviceBindings.EMBEDDER` accepts and what the standalone server wraps.
 * It only uses `method`, `url` and `arrayBuffer()` of the request, since miniflare hands over a
 * Request-like object. Besides the model it started with, it holds every model a caller asked for
 * (`POST /models`): while a migration runs, the serving model and the target embed side by side.
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
  parseModelRequest,
} from "../embedder/protocol.js";
import { type Embedder, fingerprintKey } from "../embedder/types.js";
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

/** Loads a model by spec (what `PYRITE_MODEL` takes, or a model id); rejects if it cannot. */
export type ModelLoader = (spec: string) => Promise<Embedder>;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Creates the protocol handler over `embedder` (the model the process started with); `load`
 * loads other models on request (without it, only the started one is served).
 */
export function createEmbedderHandler(
  embedder: Embedder,
  load?: ModelLoader,
): (request: RequestLike) => Promise<Response> {
  // One queue for every model: they share the CPU, and one batch at a time keeps latency even.
  const serial = createSerialQueue();
  /** Models held besides the started one, by fingerprint key and by every spec that named one. */
  const held = new Map<string, Embedder>();
  /** Loads by spec; a failure is remembered too (a model missing offline stays missing). */
  const loading = new Map<string, Promise<Embedder>>();

  /** The held model a spec or key names: the started one, or one loaded earlier. */
  const find = async (name: string): Promise<Embedder | undefined> => {
    const known = held.get(name);
    if (known) return known;
    const { model } = await embedder.info();
    return name === fingerprintKey(model) || name === model.id ? embedder : undefined;
  };

  const loadModel = async (spec: string): Promise<Embedder> => {
    const found = await find(spec);
    if (found) return found;
    if (!load) throw new Error("this embedder serves only the model it started with");
    let pending = loading.get(spec);
    if (!pending) {
      pending = load(spec).then(async (loaded) => {
        const { model } = await loaded.info();
        // Another spec may have loaded the same model already: keep one copy.
        const same = held.get(fingerprintKey(model)) ?? loaded;
        held.set(fingerprintKey(model), same);
        held.set(model.id, same);
        return same;
      });
      loading.set(spec, pending);
    }
    return pending;
  };

  const models = async (request: RequestLike): Promise<Response> => {
    const parsed = parseModelRequest(new Uint8Array(await request.arrayBuffer()));
    if (!parsed.ok) return errorResponse(parsed.code, parsed.message);
    let loaded: Embedder;
    try {
      loaded = await loadModel(parsed.model);
    } catch (error) {
      return errorResponse("model_unavailable", `cannot load ${parsed.model}: ${message(error)}`);
    }
    try {
      return jsonResponse(200, await loaded.info());
    } catch (error) {
      return errorResponse("embed_failed", message(error));
    }
  };

  const embedWith = async (chosen: Embedder, texts: string[]): Promise<Response> => {
    try {
      const { model } = await chosen.info();
      const batch = await serial(() => chosen.embed(texts));
      assertValidOutput(batch, texts.length, model.dims);
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
      return errorResponse("embed_failed", message(error));
    }
  };

  const embed = async (request: RequestLike): Promise<Response> => {
    const parsed = parseEmbedRequest(new Uint8Array(await request.arrayBuffer()));
    if (!parsed.ok) return errorResponse(parsed.code, parsed.message);
    let chosen: Embedder | undefined;
    try {
      chosen = parsed.model === undefined ? embedder : await find(parsed.model);
    } catch (error) {
      return errorResponse("embed_failed", message(error));
    }
    if (!chosen) {
      return errorResponse("model_not_loaded", `${parsed.model} is not loaded: POST /models`);
    }
    return embedWith(chosen, parsed.texts);
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
    if (pathname === PATHS.embed || pathname === PATHS.models) {
      if (request.method !== "POST")
        return errorResponse("method_not_allowed", `${request.method} ${pathname}: use POST`);
      return pathname === PATHS.embed ? embed(request) : models(request);
    }
    return errorResponse("not_found", `no route ${request.method} ${pathname}`);
  };
}

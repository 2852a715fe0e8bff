/**
 * The wire protocol between the worker and the Node embedder process (service binding or URL).
 *
 * - `GET /info` → 200 JSON {@link EmbedderInfo}
 * - `POST /models` `{"model": spec}` → 200 JSON {@link EmbedderInfo}: loads a model beside the one
 *   the process started with (a spec is what `PYRITE_MODEL` takes, or a model id), so that a
 *   migration can embed with both; 422 `model_unavailable` when it cannot be loaded here.
 * - `POST /embed` `{"texts": string[], "model"?: key}` → 200 `application/octet-stream`: count × dims float32,
 *   little-endian, row-major; headers `x-embed-count`, `x-embed-dims`, `x-embed-truncated`
 *   (comma-separated input indices, empty when none). Binary because JSON numbers cost ≈20% of
 *   throughput at batch 32. `model` (a fingerprint key) names a loaded model, the started one by
 *   default; 409 `model_not_loaded` when the process does not hold it (it restarted: load again).
 * - errors: JSON `{"error": {"code", "message"}}` with 4xx (the request is wrong: retrying it
 *   cannot help) or 5xx (embedding failed).
 *
 * Helpers here are used by both sides, so they are pure TypeScript (no Node APIs).
 */

import type { ErrorBody } from "../shared/api-types.js";
import { decodeVector, writeVector } from "../storage/vector-codec.js";
import type { EmbedderInfo } from "./types.js";

/** Request paths. */
export const PATHS = { info: "/info", embed: "/embed", models: "/models" } as const;

/** Response headers of `POST /embed`. */
export const HEADERS = {
  count: "x-embed-count",
  dims: "x-embed-dims",
  truncated: "x-embed-truncated",
} as const;

/** Most texts one `POST /embed` may carry. */
export const MAX_TEXTS = 256;

/** Largest `POST /embed` body, in bytes. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Error codes the embedder answers with. */
export type ProtocolErrorCode =
  | "bad_request"
  | "too_many_texts"
  | "payload_too_large"
  | "not_found"
  | "method_not_allowed"
  | "model_not_loaded"
  | "model_unavailable"
  | "embed_failed";

/** HTTP status of each error code. */
export const ERROR_STATUS: Readonly<Record<ProtocolErrorCode, number>> = {
  bad_request: 400,
  too_many_texts: 400,
  payload_too_large: 413,
  not_found: 404,
  method_not_allowed: 405,
  model_not_loaded: 409,
  model_unavailable: 422,
  embed_failed: 500,
};

/** An error answered by (or about) the embedder; `status` tells a caller whether to retry. */
export class EmbedderProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "EmbedderProtocolError";
  }
}

/** The error body for `code`. */
export function errorBody(code: ProtocolErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Longest model spec or key accepted. */
const MAX_MODEL_CHARS = 1000;

function isModelName(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "" && value.length <= MAX_MODEL_CHARS;
}

/** Validates a `POST /models` body, returning the spec or a 4xx error. */
export function parseModelRequest(
  body: Uint8Array,
): { ok: true; model: string } | { ok: false; code: ProtocolErrorCode; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { ok: false, code: "bad_request", message: "body is not JSON" };
  }
  if (!isRecord(parsed) || !isModelName(parsed.model)) {
    return { ok: false, code: "bad_request", message: 'body must be {"model": string}' };
  }
  return { ok: true, model: parsed.model.trim() };
}

/** Validates a `POST /embed` body's byte size and shape, returning the texts or a 4xx error. */
export function parseEmbedRequest(
  body: Uint8Array,
):
  | { ok: true; texts: string[]; model?: string }
  | { ok: false; code: ProtocolErrorCode; message: string } {
  if (body.byteLength > MAX_BODY_BYTES) {
    return {
      ok: false,
      code: "payload_too_large",
      message: `body is ${body.byteLength} bytes, limit ${MAX_BODY_BYTES}`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { ok: false, code: "bad_request", message: "body is not JSON" };
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.texts)) {
    return { ok: false, code: "bad_request", message: 'body must be {"texts": string[]}' };
  }
  if (parsed.model !== undefined && !isModelName(parsed.model)) {
    return { ok: false, code: "bad_request", message: "model must be a non-empty string" };
  }
  const model = parsed.model;
  const texts: unknown[] = parsed.texts;
  const bad = texts.findIndex((text) => typeof text !== "string");
  if (bad !== -1)
    return { ok: false, code: "bad_request", message: `texts[${bad}] is not a string` };
  if (texts.length > MAX_TEXTS) {
    return {
      ok: false,
      code: "too_many_texts",
      message: `${texts.length} texts, limit ${MAX_TEXTS} per request`,
    };
  }
  return {
    ok: true,
    texts: texts.filter((text): text is string => typeof text === "string"),
    ...(model === undefined ? {} : { model }),
  };
}

/** Byte size of a `POST /embed` body for `texts`, so a client can split batches under the limit. */
export function embedRequestBytes(texts: string[], model?: string): number {
  return new TextEncoder().encode(JSON.stringify({ texts, model })).byteLength;
}

/** Packs vectors of `dims` components into one body of float32 vectors (the stored form). */
export function encodeVectors(vectors: Float32Array[], dims: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(vectors.length * dims * 4);
  vectors.forEach((vector, i) => {
    if (vector.length !== dims)
      throw new Error(`vector ${i} has ${vector.length} dimensions, expected ${dims}`);
    writeVector(vector, out, i * dims * 4);
  });
  return out;
}

/** Unpacks a float32 body into `count` vectors of `dims`; throws if the size disagrees. */
export function decodeVectors(body: ArrayBuffer, count: number, dims: number): Float32Array[] {
  if (body.byteLength !== count * dims * 4) {
    throw new Error(
      `embed response is ${body.byteLength} bytes, expected ${count}×${dims} float32 (${count * dims * 4})`,
    );
  }
  const bytes = new Uint8Array(body);
  return Array.from({ length: count }, (_, i) =>
    decodeVector(bytes.subarray(i * dims * 4, (i + 1) * dims * 4)),
  );
}

/** `x-embed-truncated` value for a list of indices. */
export function formatTruncated(indices: number[]): string {
  return indices.join(",");
}

/** Parses `x-embed-truncated`; throws on anything but comma-separated non-negative integers. */
export function parseTruncated(value: string | null): number[] {
  if (value === null || value.trim() === "") return [];
  return value.split(",").map((part) => {
    const trimmed = part.trim();
    if (!/^\d+$/.test(trimmed)) throw new Error(`bad ${HEADERS.truncated} header: ${value}`);
    return Number(trimmed);
  });
}

/** Parses a non-negative integer header; throws when missing or malformed. */
export function parseCountHeader(name: string, value: string | null): number {
  if (value === null || !/^\d+$/.test(value.trim()))
    throw new Error(`missing or bad ${name} header: ${value}`);
  return Number(value.trim());
}

const PROVIDERS = new Set(["transformers", "bundled", "workers-ai", "hash"]);
const POOLINGS = new Set(["mean", "cls", "none"]);

/** Runtime check of a `GET /info` body. */
export function isEmbedderInfo(value: unknown): value is EmbedderInfo {
  if (!isRecord(value) || !isRecord(value.model)) return false;
  const { model } = value;
  return (
    typeof value.provider === "string" &&
    PROVIDERS.has(value.provider) &&
    typeof value.semantic === "boolean" &&
    typeof value.maxTokens === "number" &&
    (value.tokensPerWord === undefined ||
      (typeof value.tokensPerWord === "number" && value.tokensPerWord > 0)) &&
    typeof model.id === "string" &&
    typeof model.dims === "number" &&
    Number.isInteger(model.dims) &&
    model.dims > 0 &&
    typeof model.pooling === "string" &&
    POOLINGS.has(model.pooling) &&
    typeof model.normalize === "boolean"
  );
}

/**
 * The one typed client of the API: Hono's `hc` over the contract, so each call's path, query,
 * body and answer are typed by the zod schemas the worker validates with. `ok()` reads an answer:
 * its body when 2xx, else an `ApiCallError` carrying the API's error (read by the one parser).
 * Used by the CLI, the benchmark and the tests, on Node and inside workerd alike.
 */
import { type ClientResponse, hc } from "hono/client";
import type { SuccessStatusCode } from "hono/utils/http-status";
import { type ParsedError, parseErrorBody } from "../shared/schemas/error.js";
import type { Api } from "./api.js";

/** How to reach the API. */
export interface ClientOptions {
  /** `PYRITE_API_TOKEN`, sent as `Authorization: Bearer …`. */
  token?: string | undefined;
  /** The transport (default: the global fetch), e.g. one that calls the app in-process. */
  fetch?: typeof fetch;
}

/** The API at `baseUrl` (`http://host:port`), typed route by route. */
export function apiClient(baseUrl: string, options: ClientOptions = {}) {
  return hc<Api>(baseUrl.replace(/\/+$/, ""), {
    fetch: options.fetch,
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });
}

/** A non-2xx answer: its status and the API's error (`code` `unknown` when it had none). */
export class ApiCallError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(
    readonly status: number,
    error: ParsedError,
  ) {
    super(error.message);
    this.name = "ApiCallError";
    this.code = error.code;
    this.details = error.details;
  }
}

/** The body type of a typed answer's 2xx statuses. */
export type SuccessBody<R> =
  R extends ClientResponse<infer T, infer S, "json">
    ? S extends SuccessStatusCode
      ? T
      : never
    : never;

/** An answer that has a status and a text body, typed or not. */
type AnyResponse = { ok: boolean; status: number; text(): Promise<string> };

/**
 * Reads a typed answer: resolves with its JSON body when 2xx, else throws an `ApiCallError`.
 * An answer that is not JSON throws too, as a fault of the server.
 */
export async function ok<R extends AnyResponse>(response: R | Promise<R>): Promise<SuccessBody<R>> {
  const res = await response;
  const text = await res.text();
  if (!res.ok) throw new ApiCallError(res.status, parseErrorBody(text, res.status));
  try {
    // The contract types the body; the worker answers with the same schemas.
    return JSON.parse(text) as SuccessBody<R>;
  } catch {
    throw new ApiCallError(502, {
      code: "not_json",
      message: "the server answered something that is not JSON",
    });
  }
}

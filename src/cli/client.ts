/**
 * The CLI's connection to the HTTP API: the typed client (src/contract/client.ts) with the base
 * URL and the bearer token, the one error shape (`{"error": {"code", "message"}}`) turned into a
 * one-line CliError, and an unreachable server reported with the URL that was tried.
 */
import { apiClient } from "../contract/client.js";
import { parseErrorBody } from "../shared/schemas/error.js";
import { CliError, EXIT } from "./errors.js";

/** Where the server is and how to authenticate. */
export interface Connection {
  url: string;
  token: string | undefined;
}

type Query = Record<string, string | number | boolean | undefined>;

/** Why fetch failed, as briefly as the error allows (ECONNREFUSED, ENOTFOUND, …). */
function networkReason(error: unknown): string {
  if (error instanceof Error) {
    const cause: unknown = error.cause;
    if (
      typeof cause === "object" &&
      cause !== null &&
      "code" in cause &&
      typeof cause.code === "string"
    ) {
      return cause.code;
    }
    if (cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}

/** The API client: the typed client of the contract over a transport that reports failures. */
export class ApiClient {
  private readonly base: string;
  /** The API, route by route (see src/contract); read answers with `ok()`. */
  readonly http: ReturnType<typeof apiClient>;

  constructor(readonly connection: Connection) {
    this.base = connection.url.replace(/\/+$/, "");
    this.http = apiClient(this.base, { token: connection.token, fetch: this.transport });
  }

  /** The URL of `path` with `query` (undefined values left out). */
  urlOf(path: string, query: Query = {}): string {
    const url = new URL(`${this.base}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  /** Headers every request carries. */
  headers(): Record<string, string> {
    return this.connection.token ? { Authorization: `Bearer ${this.connection.token}` } : {};
  }

  /**
   * fetch, with an unreachable server and every non-2xx answer turned into a one-line CliError
   * (`GET /api/entries/x failed: 404 no such entry (not_found)`) that carries the status.
   */
  private readonly transport = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const request = new Request(input, init);
    let response: Response;
    try {
      response = await fetch(request);
    } catch (error) {
      throw new CliError(
        `cannot reach the pyrite server at ${this.base} (${networkReason(error)})`,
      );
    }
    if (!response.ok) {
      const error = parseErrorBody(await response.text(), response.status);
      const code = error.code === "unknown" ? "" : ` (${error.code})`;
      throw new CliError(
        `${request.method} ${new URL(request.url).pathname} failed: ${response.status} ${error.message}${code}`,
        EXIT.failed,
        response.status,
      );
    }
    return response;
  };
}

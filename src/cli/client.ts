/**
 * A small fetch wrapper over the HTTP API: the base URL, the bearer token, the one error shape
 * (`{"error": {"code", "message"}}`) turned into a one-line CliError, and an unreachable server
 * reported with the URL that was tried.
 */
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

/** The API's error message from a response body, or the body itself. */
function apiMessage(status: number, text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === "object" && body !== null && "error" in body) {
      const error: unknown = body.error;
      if (typeof error === "object" && error !== null && "message" in error) {
        const code = "code" in error && typeof error.code === "string" ? ` (${error.code})` : "";
        return `${String(error.message)}${code}`;
      }
    }
  } catch {
    // Not JSON (a proxy's page, say): fall through to the raw text.
  }
  return text.trim().slice(0, 200) || `HTTP ${status}`;
}

/** The API client. */
export class ApiClient {
  private readonly base: string;

  constructor(readonly connection: Connection) {
    this.base = connection.url.replace(/\/+$/, "");
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

  /** Calls the API; resolves with the JSON body of a 2xx answer, else throws a CliError. */
  async request<T>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const url = this.urlOf(path, options.query);
    const headers = this.headers();
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      throw new CliError(
        `cannot reach the pyrite server at ${this.base} (${networkReason(error)})`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new CliError(
        `${method} ${path} failed: ${response.status} ${apiMessage(response.status, text)}`,
        EXIT.failed,
        response.status,
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${method} ${path}: the server answered something that is not JSON`);
    }
  }
}

// @ts-check
/**
 * The page's calls to the API: JSON in and out, the stored API token as a bearer header, and the
 * API's one error shape turned into an ApiRequestError (401 included, so the page can ask for a
 * token).
 */

const TOKEN_KEY = "pyrite.apiToken";

/** A failed API call, with the API's status, code and message. */
export class ApiRequestError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = code;
  }
}

/** @returns {string} the stored token, or "" */
export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    // Storage disabled (private mode, policy): behave as if no token was saved.
    return "";
  }
}

/** @param {string} token an empty token forgets it */
export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nowhere to keep it: the page still works until it is reloaded.
  }
}

/**
 * Calls the API; the caller names the answer's type (one of src/shared/api-types.ts).
 * @template T
 * @param {"GET" | "POST"} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export async function request(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiRequestError(0, "network_error", "the server is unreachable");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error : undefined;
    throw new ApiRequestError(
      response.status,
      error?.code ?? "http_error",
      error?.message ?? `HTTP ${response.status}`,
    );
  }
  return data;
}

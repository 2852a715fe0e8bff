/** What kind of request this is, for the middlewares that guard state. */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether a request may change state: any method but GET, HEAD and OPTIONS. */
export function changesState(request: Request): boolean {
  return !SAFE_METHODS.has(request.method.toUpperCase());
}

/** Whether a request asks to open a WebSocket (a GET that starts a long-lived channel). */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get("Upgrade")?.toLowerCase() === "websocket";
}

// @ts-check
/**
 * The live event stream: a WebSocket to `/ws` that reconnects with backoff and keeps itself alive
 * with the protocol's ping. Browsers cannot set headers on a WebSocket, so the token travels as
 * the subprotocol `bearer.<token>` beside `pyrite` (which the server echoes).
 */

const PING = JSON.stringify({ type: "ping" });
const PING_EVERY_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * @param {object} options
 * @param {string | null} options.kb subscribe to one KB, or all
 * @param {() => string} options.token the current API token ("" for none)
 * @param {(state: "connecting" | "live" | "offline") => void} options.onState
 * @param {(message: import("../../src/shared/messages.js").ServerMessage) => void} options.onMessage
 * @returns {{ reconnect(): void }}
 */
export function connectEvents({ kb, token, onState, onMessage }) {
  /** @type {WebSocket | null} */
  let socket = null;
  let retry = 0;
  let backoff = 1000;

  const url = () => {
    const u = new URL("/ws", location.href);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    if (kb) u.searchParams.set("kb", kb);
    return u;
  };

  const open = () => {
    clearTimeout(retry);
    const t = token();
    const target = url();
    /** @type {WebSocket} */
    let ws;
    try {
      ws = new WebSocket(target, t ? ["pyrite", `bearer.${t}`] : ["pyrite"]);
    } catch {
      // A token with characters a subprotocol may not hold: the server also reads `?token=`.
      target.searchParams.set("token", t);
      ws = new WebSocket(target, ["pyrite"]);
    }
    socket = ws;
    let ping = 0;
    onState("connecting");
    ws.addEventListener("open", () => {
      backoff = 1000;
      onState("live");
      ping = window.setInterval(() => ws.send(PING), PING_EVERY_MS);
    });
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      try {
        onMessage(JSON.parse(event.data));
      } catch {
        // Not a protocol message: ignore it rather than break the stream.
      }
    });
    ws.addEventListener("close", () => {
      clearInterval(ping);
      if (socket !== ws) return; // replaced by a reconnect
      onState("offline");
      retry = window.setTimeout(open, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    });
  };

  open();
  return {
    reconnect() {
      const old = socket;
      socket = null;
      old?.close(1000, "reconnecting");
      backoff = 1000;
      open();
    },
  };
}

/** The `/ws` event stream, through the `ws` package (Node 20 has no global WebSocket). */
import WebSocket from "ws";
import { parseServerMessage, type ServerMessage } from "../shared/messages.js";
import type { ApiClient } from "./client.js";
import { CliError } from "./errors.js";

/** An open subscription. */
export interface EventStream {
  close(): void;
  /** Resolves when the socket closes (with the close code). */
  closed: Promise<number>;
}

/** Connects to `/ws[?kb=]`; resolves once the socket is open. */
export function subscribe(
  client: ApiClient,
  kb: string | undefined,
  onMessage: (message: ServerMessage) => void,
): Promise<EventStream> {
  const url = client.urlOf("/ws", { kb }).replace(/^http/, "ws");
  const socket = new WebSocket(url, { headers: client.headers() });
  const closed = new Promise<number>((done) => socket.once("close", (code) => done(code)));
  socket.on("message", (data) => {
    try {
      onMessage(parseServerMessage(data.toString()));
    } catch {
      // Not a server message: nothing the CLI could do with it.
    }
  });
  return new Promise<EventStream>((done, fail) => {
    socket.once("open", () => {
      socket.on("error", () => undefined);
      done({ close: () => socket.close(1000), closed });
    });
    socket.once("unexpected-response", (_request, response) => {
      fail(
        new CliError(
          `GET /ws failed: ${response.statusCode ?? "?"} ${response.statusMessage ?? ""}`.trim(),
        ),
      );
      socket.terminate();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      fail(
        new CliError(
          `cannot reach the pyrite server at ${client.connection.url} (${error.code ?? error.message})`,
        ),
      );
    });
  });
}

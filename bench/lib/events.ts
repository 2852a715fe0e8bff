/**
 * A WebSocket listener on `/ws` (the `ws` package: Node 20 has no global WebSocket) that records
 * every event with the moment it arrived, and lets the bench wait for a particular one.
 */
import WebSocket from "ws";
import { parseServerMessage, type ServerMessage } from "../../src/shared/messages.js";

/** An event and when it arrived (performance.now()). */
export interface Received {
  message: ServerMessage;
  at: number;
}

type Waiter = { match: (m: ServerMessage) => boolean; done: (r: Received) => void };

/** One connected listener. */
export class EventListener {
  readonly received: Received[] = [];
  private waiters: Waiter[] = [];
  private closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: WebSocket.RawData) => {
      const at = performance.now();
      let message: ServerMessage;
      try {
        message = parseServerMessage(data.toString());
      } catch {
        return;
      }
      const received = { message, at };
      this.received.push(received);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(message)) return true;
        w.done(received);
        return false;
      });
    });
    socket.on("close", () => {
      this.closed = true;
    });
  }

  /** Connects to `<base>/ws[?kb=]` and resolves after the server's hello. */
  static connect(
    base: string,
    options: { kb?: string; token?: string } = {},
  ): Promise<EventListener> {
    const url = new URL("/ws", base.replace(/^http/, "ws"));
    if (options.kb) url.searchParams.set("kb", options.kb);
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      const listener = new EventListener(socket);
      const timer = setTimeout(() => reject(new Error("no hello on /ws within 10 s")), 10_000);
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      listener
        .waitFor((m) => m.type === "hello", 10_000)
        .then(() => {
          clearTimeout(timer);
          resolve(listener);
        }, reject);
    });
  }

  /** True once the server or the network closed the socket. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves with the first event (already received or future) that matches. */
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs: number): Promise<Received> {
    const seen = this.received.find((r) => match(r.message));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        done: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Forgets what was received so far (between measurements). */
  clear(): void {
    this.received.length = 0;
  }

  /** Closes the socket and resolves when it is closed. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close(1000, "bench done");
      setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}

/**
 * The WebSocket protocol at `GET /ws`, shared by the server, the CLI and the status page.
 * Server messages are JSON objects discriminated by `type`. Delivery is at-least-once.
 */
import type { ModelSwitched } from "./api-types.js";

/** Fields every entry event carries. Times are ISO 8601; absent facts are null. */
interface EntryEventBase {
  kb_name: string;
  entry_id: string;
  content_hash: string | null;
  model: string | null;
  attempts: number;
  queued_at: string | null;
  embedded_at: string | null;
}

/** The entry's passage set for `content_hash` is committed and searchable. */
export interface EmbedCompleteMessage extends EntryEventBase {
  type: "embed_complete";
  content_hash: string;
  model: string;
  embedded_at: string;
  /**
   * The set's passages: `embedded` vectors were computed for this version of the entry, `reused`
   * passages kept the vector of an earlier version (their text and context did not change).
   */
  passages: { total: number; embedded: number; reused: number };
}

/** Embedding failed for the last allowed time; the row is `failed` until retried. */
export interface EmbedFailedMessage extends EntryEventBase {
  type: "embed_failed";
  error: string;
}

/** An entry was written or deleted (sent after the write commits). */
export interface EntryChangedMessage extends EntryEventBase {
  type: "entry_created" | "entry_updated" | "entry_deleted";
}

/**
 * The serving model changed (a migration's switch, or a rollback): searches from now on read
 * `model`'s vectors. Sent to every socket, whatever KB it follows.
 */
export type ModelSwitchedMessage = ModelSwitched;

/** Sent once on connect: what the socket is subscribed to. */
export interface HelloMessage {
  type: "hello";
  kb_name: string | null;
}

/** Reply to a client `ping` (answered without waking the Durable Object). */
export interface PongMessage {
  type: "pong";
}

export type EntryEventMessage = EmbedCompleteMessage | EmbedFailedMessage | EntryChangedMessage;
export type ServerMessage = EntryEventMessage | ModelSwitchedMessage | HelloMessage | PongMessage;

/** What a client may send. */
export type ClientMessage = { type: "ping" };

/**
 * The WebSocket subprotocol the server speaks. Browsers, which can't set headers, offer the token
 * beside it as `bearer.<token>`; the handshake answers with this one, never with the token.
 */
export const WS_PROTOCOL = "pyrite";

/** The exact ping text the auto-response matches (and its reply). */
export const PING_TEXT = JSON.stringify({ type: "ping" } satisfies ClientMessage);
export const PONG_TEXT = JSON.stringify({ type: "pong" } satisfies PongMessage);

/** Parses a server message; throws on anything that isn't one. */
export function parseServerMessage(data: string): ServerMessage {
  const value: unknown = JSON.parse(data);
  if (typeof value !== "object" || value === null || !("type" in value)) {
    throw new Error("not a server message");
  }
  return value as ServerMessage;
}

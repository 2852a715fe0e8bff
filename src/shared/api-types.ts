/**
 * The API's response shapes, shared by the worker (which answers with them), the CLI and the
 * benchmark (which read them). Plain types with no imports, so both runtimes can use them.
 */

/** An entry. */
export interface Entry {
  kb_name: string;
  id: string;
  entry_type: string;
  title: string;
  body: string;
  summary: string;
  tags: string[];
  importance: number;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  content_hash: string;
  /** 1 at creation, +1 on every update. */
  version: number;
  /** The entry's ETag (also sent as the `ETag` header): give it as `If-Match` to write safely. */
  etag: string;
}

/** An entry as `GET /api/entries` lists it: a short excerpt, and the body only if asked for. */
export type EntryListItem = Omit<Entry, "body"> & { excerpt: string; body?: string };

/** `POST /api/entries`, `PUT|PATCH /api/entries/:id`. */
export interface EntryWriteResult {
  entry: Entry;
  embedding: { status: string; error?: string };
}

/** `GET /api/entries/:id`: the entry and where its embedding stands. */
export interface EntryRead {
  entry: Entry;
  embedding: {
    status: string;
    attempts?: number;
    error?: string | null;
    queued_at?: string | null;
    embedded_at?: string | null;
    model?: string | null;
    stale?: boolean;
  };
}

/** `GET /api/entries`. */
export interface EntryList {
  entries: EntryListItem[];
  total: number;
  limit: number;
  offset: number;
  /**
   * Where the next page starts, or null at the end. A page may hold fewer than `limit` entries
   * when their size reached the response's byte budget: continue from here.
   */
  next_offset: number | null;
}

/**
 * `GET /api/index/embed-status`. Always reconciles: entries = embedded + pending + processing +
 * failed + missing.
 */
export interface EmbedStatus {
  kb: string | null;
  entries: number;
  /** Entries whose vector is of the active model and their current text. */
  embedded: number;
  pending: number;
  processing: number;
  done: number;
  failed: number;
  /** Entries with no queue row and no current vector (only where EMBED_MODE=off wrote them). */
  missing: number;
  /** Vectors of another model or of an older text. */
  stale: number;
  /** Passages (with their vectors) searchable under the active model. */
  passages: number;
  /** Entries with a passage cut at the model's window. */
  truncated: number;
  oldest_pending_age_ms: number | null;
  expired_leases: number;
  last_error: { kb_name: string; entry_id: string; error: string; at: string } | null;
  worker:
    | {
        state: string;
        last_run_at: string | null;
        next_alarm_at: string | null;
        batch_size: number;
        max_attempts: number;
        /** Rounds the worker keeps in flight at most (`EMBED_CONCURRENCY`), and now. */
        concurrency?: number;
        in_flight?: number;
        shard?: { index: number; count: number };
        /** With several shards (`EMBED_SHARDS`): each one's own status; the above sums them. */
        shards?: {
          state: string;
          shard?: { index: number; count: number };
          in_flight?: number;
          next_alarm_at: string | null;
          embedded_last_minute: number;
          passages_last_minute: number;
        }[];
      }
    | { state: "absent" };
  /** Entries embedded in the last minute. */
  throughput_last_minute: number | null;
  /** Passages embedded in the last minute: the embedder's own throughput. */
  passages_last_minute: number | null;
  model: string | null;
  provider: string | null;
  semantic: boolean;
  embed_mode: string;
}

/** One synchronous batch of `POST /api/index/embed`. */
export interface EmbedRoundResult {
  paused: boolean;
  claimed: number;
  embedded: number;
  failed: number;
  retrying: number;
}

/** `POST /api/index/embed`. */
export interface EmbedResponse {
  mode: "sync" | "background";
  queued: number;
  batch?: EmbedRoundResult;
  status: EmbedStatus;
}

/** One search hit. */
export interface SearchHit {
  kb_name: string;
  id: string;
  title: string;
  entry_type: string;
  summary: string;
  snippet?: string;
  score: number;
  /** Semantic and hybrid: the passage that matched (null when the entry has no current one). */
  passage?: { text: string; heading_path: string[]; start: number; end: number } | null;
}

/** `GET /api/search`. */
export interface SearchResponse {
  query: string;
  mode: string;
  results: SearchHit[];
  model?: string | null;
  semantic?: boolean;
  /** Set when hybrid fell back to keywords alone (the embedder failed or missed its deadline). */
  degraded?: { code: string; message: string } | null;
}

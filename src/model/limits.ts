/**
 * Bounds that keep one request from exhausting the worker or D1; the CLI and the importer size
 * their requests by them.
 */
export const limits = {
  titleChars: 1000,
  summaryChars: 10_000,
  // D1 caps a row at 1,000,000 bytes: the body's bound leaves room for every other field.
  bodyBytes: 800_000,
  requestBytes: 2 * 1024 * 1024,
  /** Entries in one `POST /api/entries/batch`. */
  batchEntries: 500,
  tags: 100,
  tagChars: 100,
  metadataBytes: 64 * 1024,
  listLimit: 500,
  /** Characters of the body a list shows as `excerpt`. */
  listExcerptChars: 240,
  /**
   * Bytes of entry text one list page may carry (the rest of the page is left for the next):
   * 500 entries of 800 kB would be 400 MB, past a Worker's 128 MB.
   */
  listBytes: 4 * 1024 * 1024,
  searchLimit: 100,
  searchQueryChars: 1000,
  /**
   * Deepest search offset: hybrid reads offset + limit + 50 candidates from FTS5 and from the
   * vector index, so a deeper page is a 400 rather than thousands of rows read for ten.
   */
  searchOffset: 1000,
  /** Rows one request embeds synchronously (sync `POST /api/index/embed`, sync-mode batches). */
  syncEmbedRows: 64,
} as const;

/**
 * The EmbedWorker's own small state in its SQLite storage: pause flag, last run, last error and a
 * minute of completion counts for throughput. The queue itself lives in D1, beside the entries,
 * so that a write and its queue row commit together.
 */

/** Facts the worker keeps across evictions and restarts. */
export interface WorkerFacts {
  paused: boolean;
  lastRunAt: number | null;
  lastError: { kb_name: string; entry_id: string; error: string; at: string } | null;
  /**
   * The name the worker is addressed by (which shard it is). Kept because a Durable Object woken
   * by its alarm alone, after a restart, is not told its name.
   */
  name: string | null;
}

/** Wraps the Durable Object's SQL storage. */
export class WorkerState {
  constructor(private readonly sql: SqlStorage) {}

  /** Creates the tables; run inside `blockConcurrencyWhile` in the constructor. */
  init(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS completions (at INTEGER NOT NULL, count INTEGER NOT NULL)`,
    );
    // Added with passages; a table created before has no such column yet.
    const columns = this.sql
      .exec<{ name: string }>(`SELECT name FROM pragma_table_info('completions')`)
      .toArray();
    if (!columns.some((c) => c.name === "passages")) {
      this.sql.exec(`ALTER TABLE completions ADD COLUMN passages INTEGER NOT NULL DEFAULT 0`);
    }
    // Every run trims the rows older than a minute: a seek on this, not a scan of the minute.
    this.sql.exec(`CREATE INDEX IF NOT EXISTS completions_at ON completions (at)`);
  }

  private get<T>(key: string, fallback: T): T {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM facts WHERE key = ?`, key);
    const first = row.toArray()[0];
    return first ? (JSON.parse(first.value) as T) : fallback;
  }

  private set(key: string, value: unknown): void {
    this.sql.exec(
      `INSERT INTO facts (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      JSON.stringify(value),
    );
  }

  facts(): WorkerFacts {
    return {
      paused: this.get("paused", false),
      lastRunAt: this.get<number | null>("lastRunAt", null),
      lastError: this.get<WorkerFacts["lastError"]>("lastError", null),
      name: this.get<string | null>("name", null),
    };
  }

  /** Remembers the worker's name (see `WorkerFacts.name`). */
  setName(name: string): void {
    this.set("name", name);
  }

  setPaused(paused: boolean): void {
    this.set("paused", paused);
  }

  recordRun(
    at: number,
    completed: number,
    passages: number,
    lastError: WorkerFacts["lastError"] | undefined,
  ): void {
    this.set("lastRunAt", at);
    if (lastError) this.set("lastError", lastError);
    if (completed > 0 || passages > 0) {
      this.sql.exec(
        `INSERT INTO completions (at, count, passages) VALUES (?, ?, ?)`,
        at,
        completed,
        passages,
      );
    }
    this.sql.exec(`DELETE FROM completions WHERE at < ?`, at - 60_000);
  }

  /** Entries embedded in the minute before `now`. */
  completedLastMinute(now: number): number {
    return this.sumLastMinute("count", now);
  }

  /** Passages embedded in the minute before `now`. */
  passagesLastMinute(now: number): number {
    return this.sumLastMinute("passages", now);
  }

  private sumLastMinute(column: "count" | "passages", now: number): number {
    const row = this.sql
      .exec<{ n: number | null }>(
        `SELECT sum(${column}) AS n FROM completions WHERE at >= ?`,
        now - 60_000,
      )
      .toArray()[0];
    return row?.n ?? 0;
  }
}

/**
 * The load test (issue 7), usable on its own against any running server (a test can start one
 * and call {@link runLoad}): concurrent writers create, update and delete their own entries
 * while the worker drains and WebSocket clients listen; then it waits for the queue to empty and
 * checks that nothing was lost.
 *
 * Checks: no 5xx and no transport error; every answer the expected 2xx; no lost write (the KB
 * holds exactly the entries that should survive, each with the content of its last acknowledged
 * write); the queue empty; the status counts reconcile (entries = embedded + pending + processing
 * + failed + missing, with embedded = survivors, failed = missing = 0); and every listener got an
 * `embed_complete` for every surviving entry's final content hash (at-least-once delivery).
 */

import type { InferResponseType } from "hono/client";
import { ok } from "../../src/contract/client.js";
import type { EntryList, EntryListItem, EntryWriteResult } from "../../src/shared/api-types.js";
import { BenchClient, embedStatus, type Timed, timed, waitForDrain } from "../lib/client.js";
import { type BenchEntry, makeEntry, revise } from "../lib/corpus.js";
import { EventListener } from "../lib/events.js";
import { mixSeed, mulberry32 } from "../lib/prng.js";
import { fixed, type Summary, summarize } from "../lib/stats.js";

/** What to run. */
export interface LoadOptions {
  baseUrl: string;
  token?: string;
  writers: number;
  opsPerWriter: number;
  listeners: number;
  bodyWords: number;
  seed: number;
  /** A KB of its own (it must be empty at the start). */
  kb?: string;
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

type OpKind = "create" | "update" | "delete";

/** The outcome; `ok` is true when every check passed (`problems` says what failed otherwise). */
export interface LoadResult {
  writers: number;
  opsPerWriter: number;
  listeners: number;
  ops: number;
  byKind: Record<OpKind, number>;
  writeSeconds: number;
  opsPerSec: number;
  latencyMs: Summary;
  latencyByKindMs: Record<OpKind, Summary>;
  /** From the last write's answer to the queue first seen empty. */
  drainAfterWritesSeconds: number;
  survivors: number;
  checks: {
    serverErrors: number;
    transportErrors: number;
    unexpectedStatus: number;
    lostWrites: number;
    queueEmpty: boolean;
    countsReconcile: boolean;
    missingEvents: number;
    listenersClosed: number;
  };
  ok: boolean;
  problems: string[];
}

interface Live {
  entry: BenchEntry;
  revision: number;
  hash: string;
}

interface WriterLog {
  samples: { kind: OpKind; ms: number }[];
  serverErrors: number;
  transportErrors: number;
  unexpected: string[];
  live: Map<string, Live>;
}

/** What a delete answers. */
type Deleted = InferResponseType<BenchClient["http"]["api"]["entries"][":id"]["$delete"], 200>;

/** One writer: its own ids, a seeded mix of 45% creates, 40% updates, 15% deletes. */
async function writer(
  api: BenchClient,
  options: LoadOptions,
  kb: string,
  index: number,
): Promise<WriterLog> {
  const random = mulberry32(mixSeed(options.seed, index));
  const log: WriterLog = {
    samples: [],
    serverErrors: 0,
    transportErrors: 0,
    unexpected: [],
    live: new Map(),
  };
  let created = 0;
  for (let op = 0; op < options.opsPerWriter; op++) {
    const ids = [...log.live.keys()];
    const r = random();
    const kind: OpKind = ids.length === 0 || r < 0.45 ? "create" : r < 0.85 ? "update" : "delete";
    const target = ids[Math.floor(random() * ids.length)] ?? "";
    let label: string;
    let call: () => Promise<Timed<EntryWriteResult | Deleted>>;
    let expected: number;
    let next: Live | undefined;
    if (kind === "create") {
      const entry = makeEntry(
        options.seed,
        index * 100_000 + created++,
        options.bodyWords,
        `l${index}-`,
      );
      next = { entry, revision: 0, hash: "" };
      label = `POST ${kb}/${entry.id}`;
      call = () => timed(api.http.api.entries.$post({ json: { kb, ...entry } }));
      expected = 201;
    } else if (kind === "update") {
      const current = log.live.get(target);
      if (!current) continue;
      const revision = current.revision + 1;
      const entry = revise(
        current.entry,
        mixSeed(options.seed, index),
        revision * 7919 + op,
        options.bodyWords,
      );
      next = { entry, revision, hash: "" };
      // PATCH the body: the other fields stay, so the entry's final content is known exactly.
      label = `PATCH ${kb}/${target}`;
      call = () =>
        timed(
          api.http.api.entries[":id"].$patch({
            param: { id: target },
            query: { kb },
            header: {},
            json: { body: entry.body },
          }),
        );
      expected = 200;
    } else {
      label = `DELETE ${kb}/${target}`;
      call = () =>
        timed(
          api.http.api.entries[":id"].$delete({ param: { id: target }, query: { kb }, header: {} }),
        );
      expected = 200;
    }
    try {
      const answer = await call();
      log.samples.push({ kind, ms: answer.ms });
      if (answer.status >= 500) log.serverErrors++;
      if (answer.status !== expected || answer.error) {
        const error = answer.error ? `${answer.error.code}: ${answer.error.message}` : "";
        log.unexpected.push(`${label} → ${answer.status} ${error.slice(0, 200)}`);
        continue;
      }
      if (kind === "delete") {
        log.live.delete(target);
      } else if (next) {
        next.hash = "entry" in answer.body ? answer.body.entry.content_hash : "";
        log.live.set(next.entry.id, next);
      }
    } catch {
      log.transportErrors++;
    }
  }
  return log;
}

async function listAll(api: BenchClient, kb: string): Promise<EntryListItem[]> {
  const all: EntryListItem[] = [];
  // Bodies are listed only when asked for, and a page may stop early at its byte budget.
  for (let offset: number | null = 0; offset !== null; ) {
    const page: EntryList = await ok(
      api.http.api.entries.$get({
        query: { kb, limit: "500", offset: String(offset), fields: "body" },
      }),
    );
    all.push(...page.entries);
    offset = page.next_offset;
  }
  return all;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Runs the load test against `options.baseUrl`. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const kb = options.kb ?? "load";
  const log = options.log ?? (() => undefined);
  const api = new BenchClient(options.baseUrl, options.token, options.writers + 8);
  const listeners = await Promise.all(
    Array.from({ length: options.listeners }, () =>
      EventListener.connect(options.baseUrl, { token: options.token }),
    ),
  );
  const problems: string[] = [];
  try {
    log(
      `load: ${options.writers} writers × ${options.opsPerWriter} ops, ${options.listeners} listeners`,
    );
    const started = performance.now();
    const logs = await Promise.all(
      Array.from({ length: options.writers }, (_, i) => writer(api, options, kb, i)),
    );
    const writesDone = performance.now();
    const { status, at } = await waitForDrain(api, {
      kb,
      timeoutMs: options.drainTimeoutMs ?? 600_000,
      pollMs: 100,
    });

    const samples = logs.flatMap((l) => l.samples);
    const byKind: Record<OpKind, number> = { create: 0, update: 0, delete: 0 };
    for (const s of samples) byKind[s.kind]++;
    const serverErrors = logs.reduce((n, l) => n + l.serverErrors, 0);
    const transportErrors = logs.reduce((n, l) => n + l.transportErrors, 0);
    const unexpected = logs.flatMap((l) => l.unexpected);
    if (serverErrors > 0) problems.push(`${serverErrors} answers were 5xx`);
    if (transportErrors > 0) problems.push(`${transportErrors} requests failed in transport`);
    if (unexpected.length > 0)
      problems.push(`unexpected answers: ${unexpected.slice(0, 5).join("; ")}`);

    // Lost writes: the KB must hold exactly the survivors, each as last acknowledged.
    const expected = new Map<string, Live>();
    for (const l of logs) for (const [id, live] of l.live) expected.set(id, live);
    const stored = new Map((await listAll(api, kb)).map((e) => [e.id, e]));
    let lost = 0;
    for (const [id, live] of expected) {
      const found = stored.get(id);
      if (
        !found ||
        found.body !== live.entry.body ||
        found.title !== live.entry.title ||
        found.content_hash !== live.hash
      ) {
        lost++;
      }
    }
    const extra = [...stored.keys()].filter((id) => !expected.has(id)).length;
    if (lost > 0) problems.push(`${lost} acknowledged writes are missing or not as last written`);
    if (extra > 0) problems.push(`${extra} entries exist that were deleted or never acknowledged`);

    const queueEmpty = status.pending === 0 && status.processing === 0;
    const final = await embedStatus(api, kb);
    const reconciles =
      final.entries ===
        final.embedded + final.pending + final.processing + final.failed + final.missing &&
      final.entries === expected.size &&
      final.embedded === expected.size &&
      final.failed === 0 &&
      final.missing === 0;
    if (!queueEmpty) problems.push("the queue did not empty");
    if (!reconciles) problems.push(`status does not reconcile: ${JSON.stringify(final)}`);

    // At-least-once delivery: every listener hears of every survivor's final version.
    const wanted = [...expected.values()].map((live) => `${live.entry.id}\u0000${live.hash}`);
    const missingOn = (listener: EventListener) => {
      const heard = new Set(
        listener.received.flatMap(({ message }) =>
          message.type === "embed_complete" && message.kb_name === kb
            ? [`${message.entry_id}\u0000${message.content_hash}`]
            : [],
        ),
      );
      return wanted.filter((key) => !heard.has(key)).length;
    };
    // The vector commits before its event is sent: give the last events a moment to arrive.
    let missingEvents = 0;
    for (let waited = 0; waited <= 10_000; waited += 100) {
      missingEvents = listeners.reduce((n, l) => n + missingOn(l), 0);
      if (missingEvents === 0) break;
      await sleep(100);
    }
    const closed = listeners.filter((l) => l.isClosed).length;
    if (missingEvents > 0)
      problems.push(`${missingEvents} (listener, survivor) embed_complete events never arrived`);
    if (closed > 0) problems.push(`${closed} listeners were disconnected`);

    const writeSeconds = (writesDone - started) / 1000;
    const kinds: OpKind[] = ["create", "update", "delete"];
    return {
      writers: options.writers,
      opsPerWriter: options.opsPerWriter,
      listeners: options.listeners,
      ops: samples.length,
      byKind,
      writeSeconds: fixed(writeSeconds, 2),
      opsPerSec: fixed(samples.length / writeSeconds, 1),
      latencyMs: summarize(samples.map((s) => s.ms)),
      latencyByKindMs: Object.fromEntries(
        kinds.map((k) => [k, summarize(samples.filter((s) => s.kind === k).map((s) => s.ms))]),
      ) as Record<OpKind, Summary>,
      drainAfterWritesSeconds: fixed((at - writesDone) / 1000, 2),
      survivors: expected.size,
      checks: {
        serverErrors,
        transportErrors,
        unexpectedStatus: unexpected.length,
        lostWrites: lost + extra,
        queueEmpty,
        countsReconcile: reconciles,
        missingEvents,
        listenersClosed: closed,
      },
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await Promise.all(listeners.map((l) => l.close()));
    api.close();
  }
}

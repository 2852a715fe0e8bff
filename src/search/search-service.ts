/**
 * Keyword (FTS5, bm25), semantic (entries ranked by their best passage, by cosine over the active
 * model's passage vectors) and hybrid (a weighted sum of the two scores, each normalised on its
 * own list: fuse-scores.ts) search. Semantic and hybrid results carry the passage that matched.
 *
 * Every read is bounded by bytes as well as rows: candidates are keys and scores only, snippets
 * (which make FTS5 read and tokenize the whole body) are computed for the returned page only, and
 * results read the body's head, never the body. The query's embedding has a deadline: past it,
 * or when the embedder fails, hybrid answers from keywords alone and says so, and semantic
 * answers 503.
 */
import { sql } from "drizzle-orm";
import { DEFAULT_HYBRID_SEMANTIC_WEIGHT } from "../config";
import { fingerprintKey } from "../embedder/types";
import type { SearchModelChoice } from "../embedding/serving";
import { ApiError } from "../errors";
import type { Degraded, SearchResponse, SearchResult } from "../shared/api-types";
import { withTimeout } from "../shared/timeout";
import type { Db } from "../storage/db";
import { type EntryHead, getEntryHeadsByKeys } from "../storage/entries";
import { entryKey } from "../storage/entry-keys";
import { getPassageSpans } from "../storage/passages";
import { nearestPassages } from "../vectors/nearest-passage";
import type { VectorStore } from "../vectors/vector-store";
import { ftsMatch, queryTerms } from "./fts-query";
import { fuseScores, SEMANTIC_REFERENCE_RANK } from "./fuse-scores";
import type { SearchQuery } from "./query";
import { rankByBestPassage } from "./rank-passages";

/** Weighting of title, summary and body in bm25 (lower rank is better). */
const BM25 = sql`bm25(entries_fts, 10.0, 4.0, 1.0)`;
const SNIPPET = sql`snippet(entries_fts, -1, '[', ']', '…', 16)`;
/**
 * How deep each list goes before fusion (beyond the page asked for): at least the semantic
 * reference rank, so an entry's fused score does not depend on the page it is on.
 */
const FUSION_DEPTH = SEMANTIC_REFERENCE_RANK;
/** Length of an excerpt (the snippet of a result without a keyword match). */
const EXCERPT_CHARS = 200;
/** Characters of the body read for an excerpt: room for whitespace runs that collapse. */
const EXCERPT_READ_CHARS = 4 * EXCERPT_CHARS;

type Hit = {
  kbName: string;
  entryId: string;
  score: number;
  snippet?: string;
  /** The FTS row of a keyword hit, to compute its snippet once it is on the page. */
  rowid?: number;
  /** The passage that ranked a semantic hit. */
  seq?: number;
};

/** The query's vector and its model: what finds each result's passage. */
type PassageFinder = { query: Float32Array; model: string };

/** Keyword hits and the FTS5 expression that found them (null when the query has no terms). */
type KeywordHits = { hits: Hit[]; match: string | null };

export class SearchService {
  /**
   * `vectors` is where passage vectors are searched (see `selectVectorStore`); `model` chooses
   * the model a search reads (the serving one: see embedding/serving.ts).
   * `hybridSemanticWeight` weighs the semantic score in hybrid fusion (the keyword score gets the
   * rest); with an embedder that is not semantic, hybrid is keyword search.
   */
  constructor(
    private readonly db: Db,
    private readonly vectors: VectorStore,
    private readonly model: () => Promise<SearchModelChoice>,
    private readonly embedTimeoutMs: number,
    private readonly hybridSemanticWeight = DEFAULT_HYBRID_SEMANTIC_WEIGHT,
    private readonly now: () => number = Date.now,
  ) {}

  async search(q: SearchQuery): Promise<SearchResponse> {
    const want = q.offset + q.limit;
    const base: SearchResponse = {
      query: q.q,
      mode: q.mode,
      kb: q.kb ?? null,
      limit: q.limit,
      offset: q.offset,
      results: [],
      model: null,
      semantic: false,
      semantic_coverage: null,
      degraded: null,
    };
    if (q.mode === "keyword") {
      const { hits } = await this.keyword(q.q, q.kb, q.limit, q.offset, true);
      return { ...base, results: await this.materialize(hits) };
    }
    if (q.mode === "semantic") {
      const semantic = await this.semantic(q.q, q.kb, want);
      const page = semantic.hits.slice(q.offset, want);
      return { ...base, ...semantic.facts, results: await this.materialize(page, semantic.finder) };
    }
    // Hybrid: both lists at once; a failed embedder costs the semantic list, not the answer.
    const [keyword, semantic] = await Promise.all([
      this.keyword(q.q, q.kb, want + FUSION_DEPTH, 0, false),
      this.semantic(q.q, q.kb, want + FUSION_DEPTH).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === "embedder_unavailable") {
          const degraded: Degraded = { code: "embedder_unavailable", message: err.message };
          return { hits: [], finder: undefined, facts: { degraded } };
        }
        throw err;
      }),
    ]);
    // Word overlap (`hash`) ranks worse than bm25 over the same words: hybrid is then keyword.
    const weight =
      "semantic" in semantic.facts && semantic.facts.semantic ? this.hybridSemanticWeight : 0;
    const page = fuse(keyword.hits, semantic.hits, weight).slice(q.offset, want);
    await this.addSnippets(page, keyword.match);
    return { ...base, ...semantic.facts, results: await this.materialize(page, semantic.finder) };
  }

  /**
   * bm25-ranked FTS5 matches: entries with all the terms, or, when no entry has them all, with
   * any of them. That choice is made on the whole result, not on the page asked for, so every
   * page of one query follows the same rule. Snippets only when every row asked for is returned.
   */
  private async keyword(
    text: string,
    kb: string | undefined,
    limit: number,
    offset: number,
    withSnippets: boolean,
  ): Promise<KeywordHits> {
    const terms = queryTerms(text);
    if (terms.length === 0) return { hits: [], match: null };
    const run = (match: string, pageLimit: number, pageOffset: number) =>
      this.db.all<{ kb_name: string; id: string; rowid: number; rank: number; snippet: string }>(
        sql`
        SELECT e.kb_name, e.id, entries_fts.rowid AS rowid, ${BM25} AS rank,
               ${withSnippets ? SNIPPET : sql`NULL`} AS snippet
          FROM entries_fts JOIN entries e ON e.rowid = entries_fts.rowid
         WHERE entries_fts MATCH ${match}
           ${kb === undefined ? sql`` : sql`AND e.kb_name = ${kb}`}
         ORDER BY rank LIMIT ${pageLimit} OFFSET ${pageOffset}`,
      );
    let match = ftsMatch(terms, "all");
    let rows = await run(match, limit, offset);
    if (rows.length === 0 && terms.length > 1) {
      // An empty later page may just be past the end of the all-terms result.
      const noneHasAll = offset === 0 || (await run(match, 1, 0)).length === 0;
      if (noneHasAll) {
        match = ftsMatch(terms, "any");
        rows = await run(match, limit, offset);
      }
    }
    const hits = rows.map(
      (r): Hit => ({
        kbName: r.kb_name,
        entryId: r.id,
        score: -r.rank,
        rowid: r.rowid,
        snippet: r.snippet ?? undefined,
      }),
    );
    return { hits, match };
  }

  /** FTS5 snippets for the keyword hits on a page (each FTS5 snippet reads its whole row). */
  private async addSnippets(page: Hit[], match: string | null): Promise<void> {
    const rowids = page.flatMap((h) => (h.rowid === undefined ? [] : [h.rowid]));
    if (match === null || rowids.length === 0) return;
    const rows = await this.db.all<{ rowid: number; snippet: string }>(sql`
      SELECT rowid, ${SNIPPET} AS snippet FROM entries_fts
       WHERE entries_fts MATCH ${match} AND rowid IN (${sql.join(rowids, sql`, `)})`);
    const byRowid = new Map(rows.map((r) => [r.rowid, r.snippet]));
    for (const hit of page) {
      if (hit.rowid !== undefined) hit.snippet = byRowid.get(hit.rowid);
    }
  }

  /**
   * Entries ranked by their nearest passages of the active model; entries without passages are
   * simply not found. Throws `503 embedder_unavailable` when the embedder fails or misses the
   * deadline.
   */
  private async semantic(text: string, kb: string | undefined, want: number) {
    const end = this.now() + this.embedTimeoutMs;
    const { embedder, standIn } = await this.beforeDeadline(this.model(), end);
    const info = await this.beforeDeadline(embedder.info(), end);
    const model = fingerprintKey(info.model);
    // The query is embedded while the store catches up, but the deadline counts from when the
    // store is ready: the in-isolate index's catch-up is CPU-bound (seconds after a restart at
    // 100k passages), and timers that fall due meanwhile would fail an answer that already arrived.
    const pending = embedder.embed([text]);
    pending.catch(() => undefined); // awaited below; this only keeps an early failure handled
    await this.vectors.prepare(model);
    const embedded = await this.beforeDeadline(
      pending,
      Math.max(end, this.now() + this.embedTimeoutMs),
    );
    const query = embedded.vectors[0];
    const entries = await this.countEntries(kb);
    const vectors = Math.min(await this.vectors.entriesIn(model, kb), entries);
    const coverage = { embedded: vectors, entries, ratio: entries === 0 ? 0 : vectors / entries };
    const hits: Hit[] = query ? await rankByBestPassage(this.vectors, model, query, want, kb) : [];
    const finder: PassageFinder | undefined = query ? { query, model } : undefined;
    const facts = { model, semantic: info.semantic, semantic_coverage: coverage };
    if (!standIn) return { hits, finder, facts };
    const degraded: Degraded = {
      code: "serving_model_unavailable",
      message:
        `the serving model ${standIn.serving} cannot be loaded here (${standIn.reason}); ` +
        `semantic results are from ${model}, which a migration is filling in ` +
        `(${coverage.embedded} of ${coverage.entries} entries)`,
    };
    return { hits, finder, facts: { ...facts, degraded } };
  }

  /** An embedder call that must answer by `end`; any failure is `503 embedder_unavailable`. */
  private async beforeDeadline<T>(call: Promise<T>, end: number): Promise<T> {
    const ms = this.embedTimeoutMs;
    try {
      return await withTimeout(call, end - this.now(), () =>
        unavailable(`the embedder did not answer within ${ms} ms`),
      );
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw unavailable(`the embedder failed: ${reason.slice(0, 300)}`);
    }
  }

  private async countEntries(kb: string | undefined): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      kb === undefined
        ? sql`SELECT count(*) AS n FROM entries`
        : sql`SELECT count(*) AS n FROM entries WHERE kb_name = ${kb}`,
    );
    return row?.n ?? 0;
  }

  /**
   * Joins hits to their entries (dropping any whose entry is gone), keeping hit order; with a
   * `finder` (semantic and hybrid), each result also gets its passage: the one that ranked it, or
   * for a keyword-only hit the entry's passage nearest the query.
   */
  private async materialize(hits: Hit[], finder?: PassageFinder): Promise<SearchResult[]> {
    const rows = await getEntryHeadsByKeys(
      this.db,
      hits.map((h) => ({ kbName: h.kbName, id: h.entryId })),
      EXCERPT_READ_CHARS,
    );
    const byKey = new Map<string, EntryHead>(rows.map((r) => [entryKey(r.kbName, r.id), r]));
    const passages = finder ? await this.passagesOf(hits, finder) : undefined;
    const results: SearchResult[] = [];
    for (const hit of hits) {
      const key = entryKey(hit.kbName, hit.entryId);
      const row = byKey.get(key);
      if (!row) continue;
      const result: SearchResult = {
        kb_name: row.kbName,
        id: row.id,
        title: row.title,
        entry_type: row.entryType,
        summary: row.summary,
        snippet: hit.snippet ?? excerpt(row),
        score: Math.round(hit.score * 1e6) / 1e6,
      };
      if (passages) {
        const span = passages.get(key);
        result.passage =
          span && span.text !== null
            ? { text: span.text, heading_path: span.headingPath, start: span.start, end: span.end }
            : null;
      }
      results.push(result);
    }
    return results;
  }

  /** The passage of each hit (its own, or the entry's nearest the query), by entry key. */
  private async passagesOf(hits: Hit[], { query, model }: PassageFinder) {
    const unranked = hits.filter((h) => h.seq === undefined);
    const nearest = await nearestPassages(
      this.db,
      model,
      query,
      unranked.map((h) => ({ kbName: h.kbName, id: h.entryId })),
    );
    const keys = [];
    for (const hit of hits) {
      const seq = hit.seq ?? nearest.get(entryKey(hit.kbName, hit.entryId))?.seq;
      if (seq !== undefined) keys.push({ kbName: hit.kbName, entryId: hit.entryId, model, seq });
    }
    const spans = await getPassageSpans(this.db, keys);
    return new Map(spans.map((s) => [entryKey(s.kbName, s.entryId), s]));
  }
}

function unavailable(message: string): ApiError {
  return new ApiError(503, "embedder_unavailable", message);
}

/**
 * Hybrid's ranking (fuse-scores.ts) over search hits: each result keeps its keyword hit's row
 * (for its snippet) and its semantic hit's passage.
 */
function fuse(keyword: Hit[], semantic: Hit[], semanticWeight: number): Hit[] {
  const keyOf = (hit: Hit) => entryKey(hit.kbName, hit.entryId);
  const hits = new Map<string, Hit>();
  for (const hit of [...keyword, ...semantic]) {
    const prior = hits.get(keyOf(hit));
    if (!prior) hits.set(keyOf(hit), { ...hit });
    else {
      prior.snippet ??= hit.snippet;
      prior.rowid ??= hit.rowid;
      prior.seq ??= hit.seq;
    }
  }
  const scored = (list: Hit[]) => list.map((hit) => ({ key: keyOf(hit), score: hit.score }));
  return fuseScores(scored(keyword), scored(semantic), semanticWeight).flatMap((fused) => {
    const hit = hits.get(fused.key);
    return hit ? [{ ...hit, score: fused.score }] : [];
  });
}

/** The summary, or else the body's head, on one line (whitespace runs collapsed). */
function excerpt(row: EntryHead): string {
  const text = (row.summary || row.bodyHead).replace(/\s+/g, " ").trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

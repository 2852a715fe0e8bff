/**
 * Keyword (FTS5, bm25), semantic (entries ranked by their best passage, by cosine over the active
 * model's passage vectors) and hybrid (weighted reciprocal rank fusion, k = 60) search. Semantic
 * and hybrid results carry the passage that matched.
 */
import { sql } from "drizzle-orm";
import { DEFAULT_HYBRID_SEMANTIC_WEIGHT } from "../config";
import type { SearchQuery } from "../domain/entry-input";
import { type Embedder, fingerprintKey } from "../embedder/types";
import type { Db } from "../storage/db";
import { getEntryRowsByKeys } from "../storage/entries";
import { getPassageSpans } from "../storage/passages";
import type { EntryRow } from "../storage/schema";
import { ftsMatch, queryTerms } from "./fts-query";
import { rankByBestPassage } from "./rank-passages";
import { type VectorIndex, vectorIndexFor } from "./vector-index";

/** The passage of an entry that matched a semantic or hybrid search. */
export interface SearchPassage {
  /** The passage's text: `body.slice(start, end)`. */
  text: string;
  /** The headings it sits under, outermost first. */
  heading_path: string[];
  start: number;
  end: number;
}

/** One search result. */
export interface SearchResult {
  kb_name: string;
  id: string;
  title: string;
  entry_type: string;
  summary: string;
  snippet: string;
  score: number;
  /**
   * Semantic and hybrid only: the entry's passage nearest the query; null when the entry has no
   * current passage set of the active model (not yet embedded, or its text changed since).
   */
  passage?: SearchPassage | null;
}

/** What a search answers. */
export interface SearchResponse {
  query: string;
  mode: SearchQuery["mode"];
  kb: string | null;
  limit: number;
  offset: number;
  results: SearchResult[];
  /** The active model, and whether its similarities are semantic (false for `hash`). */
  model: string | null;
  semantic: boolean;
  /** Share of the searched entries that have a vector of the active model. */
  semantic_coverage: { embedded: number; entries: number; ratio: number } | null;
}

/** Weighting of title, summary and body in bm25 (lower rank is better). */
const BM25 = sql`bm25(entries_fts, 10.0, 4.0, 1.0)`;
const RRF_K = 60;
/** How deep each list goes before fusion (beyond the page asked for). */
const FUSION_DEPTH = 50;

type Hit = { kbName: string; entryId: string; score: number; snippet?: string; seq?: number };

/** The query's vector and the index it was compared with: what finds each result's passage. */
type PassageFinder = { query: Float32Array; index: VectorIndex };

export class SearchService {
  /**
   * `hybridSemanticWeight` weighs the semantic list in hybrid fusion (the keyword list gets the
   * rest); with an embedder that is not semantic, hybrid is keyword search.
   */
  constructor(
    private readonly db: Db,
    private readonly embedder: () => Embedder,
    private readonly now: () => number = Date.now,
    private readonly hybridSemanticWeight = DEFAULT_HYBRID_SEMANTIC_WEIGHT,
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
    };
    if (q.mode === "keyword") {
      const hits = await this.keyword(q.q, q.kb, q.limit, q.offset);
      return { ...base, results: await this.materialize(hits) };
    }
    const semantic = await this.semantic(
      q.q,
      q.kb,
      q.mode === "hybrid" ? want + FUSION_DEPTH : want,
    );
    const withModel = {
      ...base,
      model: semantic.model,
      semantic: semantic.semantic,
      semantic_coverage: semantic.coverage,
    };
    const finder = semantic.finder;
    if (q.mode === "semantic") {
      const page = semantic.hits.slice(q.offset, want);
      return { ...withModel, results: await this.materialize(page, finder) };
    }
    const keyword = await this.keyword(q.q, q.kb, want + FUSION_DEPTH, 0);
    // Word overlap (`hash`) ranks worse than bm25 over the same words: hybrid is then keyword.
    const weight = semantic.semantic ? this.hybridSemanticWeight : 0;
    const fused = fuse([
      { hits: keyword, weight: 1 - weight },
      { hits: weight > 0 ? semantic.hits : [], weight },
    ]).slice(q.offset, want);
    return { ...withModel, results: await this.materialize(fused, finder) };
  }

  /**
   * bm25-ranked FTS5 matches: entries with all the terms, or, when no entry has them all, with
   * any of them. That choice is made on the whole result, not on the page asked for, so every
   * page of one query follows the same rule.
   */
  private async keyword(text: string, kb: string | undefined, limit: number, offset: number) {
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    const run = (match: string, pageLimit: number, pageOffset: number) =>
      this.db.all<{ kb_name: string; id: string; rank: number; snippet: string }>(sql`
        SELECT e.kb_name, e.id, ${BM25} AS rank,
               snippet(entries_fts, -1, '[', ']', '…', 16) AS snippet
          FROM entries_fts JOIN entries e ON e.rowid = entries_fts.rowid
         WHERE entries_fts MATCH ${match}
           ${kb === undefined ? sql`` : sql`AND e.kb_name = ${kb}`}
         ORDER BY rank LIMIT ${pageLimit} OFFSET ${pageOffset}`);
    const all = ftsMatch(terms, "all");
    let rows = await run(all, limit, offset);
    if (rows.length === 0 && terms.length > 1) {
      // An empty later page may just be past the end of the all-terms result.
      const noneHasAll = offset === 0 || (await run(all, 1, 0)).length === 0;
      if (noneHasAll) rows = await run(ftsMatch(terms, "any"), limit, offset);
    }
    return rows.map(
      (r): Hit => ({ kbName: r.kb_name, entryId: r.id, score: -r.rank, snippet: r.snippet }),
    );
  }

  /**
   * Entries ranked by their nearest passages of the active model; entries without passages are
   * simply not found.
   */
  private async semantic(text: string, kb: string | undefined, want: number) {
    const embedder = this.embedder();
    const info = await embedder.info();
    const model = fingerprintKey(info.model);
    const index = vectorIndexFor(model);
    const [embedded] = await Promise.all([embedder.embed([text]), index.sync(this.db)]);
    const query = embedded.vectors[0];
    const entries = await this.countEntries(kb);
    const vectors = Math.min(index.countIn(kb), entries);
    const coverage = { embedded: vectors, entries, ratio: entries === 0 ? 0 : vectors / entries };
    const hits: Hit[] = query ? rankByBestPassage(index, query, want, kb) : [];
    const finder: PassageFinder | undefined = query ? { query, index } : undefined;
    return { hits, model, semantic: info.semantic, coverage, finder };
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
    const rows = await getEntryRowsByKeys(
      this.db,
      hits.map((h) => ({ kbName: h.kbName, id: h.entryId })),
    );
    const byKey = new Map<string, EntryRow>(rows.map((r) => [`${r.kbName}\u0000${r.id}`, r]));
    const passages = finder ? await this.passagesOf(hits, finder) : undefined;
    const results: SearchResult[] = [];
    for (const hit of hits) {
      const key = `${hit.kbName}\u0000${hit.entryId}`;
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
        // Spans hold for the text the set was split from; after an edit, until re-embedded, none.
        result.passage =
          span && span.contentHash === row.contentHash
            ? {
                text: row.body.slice(span.start, span.end),
                heading_path: span.headingPath,
                start: span.start,
                end: span.end,
              }
            : null;
      }
      results.push(result);
    }
    return results;
  }

  /** The passage of each hit (its own, or the entry's nearest the query), by entry key. */
  private async passagesOf(hits: Hit[], { query, index }: PassageFinder) {
    const keys = [];
    for (const hit of hits) {
      const seq = hit.seq ?? index.bestOf(query, hit.kbName, hit.entryId)?.seq;
      if (seq !== undefined) keys.push({ kbName: hit.kbName, entryId: hit.entryId, seq });
    }
    const spans = await getPassageSpans(this.db, keys);
    return new Map(spans.map((s) => [`${s.kbName}\u0000${s.entryId}`, s]));
  }
}

/** Weighted reciprocal rank fusion: each list contributes weight / (k + rank). */
export function fuse(lists: { hits: Hit[]; weight: number }[]): Hit[] {
  const fused = new Map<string, Hit>();
  for (const { hits, weight } of lists) {
    if (weight <= 0) continue;
    hits.forEach((hit, rank) => {
      const key = `${hit.kbName}\u0000${hit.entryId}`;
      const prior = fused.get(key);
      const add = weight / (RRF_K + rank + 1);
      if (prior) {
        prior.score += add;
        prior.snippet ??= hit.snippet;
        prior.seq ??= hit.seq;
      } else fused.set(key, { ...hit, score: add });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

function excerpt(row: EntryRow): string {
  const text = (row.summary || row.body).replace(/\s+/g, " ").trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

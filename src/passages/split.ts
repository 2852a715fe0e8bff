/**
 * Splits an entry into passages, the unit of embedding: along its markdown structure (each
 * section its own passage; a section too long for the window packed from whole blocks, a block
 * too long from its sentences or lines), sized to the model's window with a little overlap
 * inside a long section. A short entry is one passage. Each passage knows its context (title ›
 * heading path; the first also carries the summary), which is embedded with it.
 *
 * Sections start passages of their own, rather than being packed together, so that an edit to
 * one section changes that section's passages only: packing would shift every later boundary.
 */

import { estimateTokens, prefixWithin, SPECIAL_TOKENS, tokenScale } from "../embedder/tokens.js";
import { type Block, blockPieces, parseBlocks } from "./blocks.js";

/** The fields of an entry that are split (as `EmbeddedFields`). */
export interface SplitFields {
  title: string;
  summary: string;
  body: string;
}

/** How to split. */
export interface SplitOptions {
  /** The embedder's window, in tokens (its `maxTokens`). */
  windowTokens: number;
  /** Its tokenizer's tokens per word, when it says (`tokensPerWord`): scales the budgets. */
  tokensPerWord?: number;
  /** False: one passage per entry, the whole note cut to the window (`EMBED_PASSAGES=off`). */
  passages: boolean;
}

/** One passage: `body.slice(start, end)` is its text. */
export interface Passage {
  seq: number;
  text: string;
  /** The headings the passage sits under, outermost first. */
  headingPath: string[];
  start: number;
  end: number;
  /** Title › heading path (and, for the first passage, the summary): embedded with the text. */
  context: string;
}

/** Share of the window a passage may fill: the estimate is rough, and the rest is margin. */
const WINDOW_SHARE = 0.8;
/** Share of a passage's budget repeated from the end of the passage before it. */
const OVERLAP_SHARE = 0.15;
/** A passage always has room for some text, however long its context. */
const MIN_BUDGET = 16;

const SEPARATOR = " › ";

/** What the embedder is given for a passage: its context, a blank line, its text. */
export function passageInput(passage: Pick<Passage, "context" | "text">): string {
  return passage.text.length === 0 ? passage.context : `${passage.context}\n\n${passage.text}`;
}

function contextOf(fields: SplitFields, headingPath: string[], first: boolean): string {
  const path = [fields.title, ...headingPath].join(SEPARATOR);
  return first && fields.summary.length > 0 ? `${path}\n${fields.summary}` : path;
}

/** Tokens (as estimated) left for the text of a passage with this context. */
function budgetFor(windowTokens: number, context: string, tokensPerWord?: number): number {
  const usable = Math.floor(
    (windowTokens - SPECIAL_TOKENS) * WINDOW_SHARE * tokenScale(tokensPerWord),
  );
  return Math.max(MIN_BUDGET, usable - estimateTokens(context) - SPECIAL_TOKENS);
}

interface Section {
  headingPath: string[];
  blocks: Block[];
}

/** Groups blocks into sections under their heading paths; a heading with nothing under it before
 * the next heading joins the section that follows (its text stays in that passage). */
function sections(blocks: Block[]): Section[] {
  const out: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  let current: Section = { headingPath: [], blocks: [] };
  let pendingHeadings: Block[] = [];
  for (const block of blocks) {
    if (block.kind === "heading") {
      if (current.blocks.length > 0) out.push(current);
      const level = block.level ?? 1;
      while (stack.length > 0 && (stack[stack.length - 1]?.level ?? 0) >= level) stack.pop();
      stack.push({ level, text: block.heading ?? "" });
      pendingHeadings.push(block);
      current = { headingPath: stack.map((h) => h.text).filter((t) => t.length > 0), blocks: [] };
      continue;
    }
    if (pendingHeadings.length > 0) {
      current.blocks.push(...pendingHeadings);
      pendingHeadings = [];
    }
    current.blocks.push(block);
  }
  if (pendingHeadings.length > 0) current.blocks.push(...pendingHeadings);
  if (current.blocks.length > 0) out.push(current);
  return out;
}

interface Unit {
  start: number;
  end: number;
  tokens: number;
}

/** The section's blocks as units no larger than `budget`: whole blocks where they fit. */
function units(body: string, blocks: Block[], budget: number): Unit[] {
  const out: Unit[] = [];
  const push = (start: number, end: number) => {
    const tokens = estimateTokens(body.slice(start, end));
    if (tokens <= budget) {
      out.push({ start, end, tokens });
      return;
    }
    // Still too long (one enormous sentence or line): cut by the estimate, at word boundaries.
    let from = start;
    while (from < end) {
      const cut = from + prefixWithin(body.slice(from, end), budget);
      const text = body.slice(from, cut);
      const trimmed = text.trimEnd();
      out.push({ start: from, end: from + trimmed.length, tokens: estimateTokens(trimmed) });
      from = cut;
      while (from < end && /\s/.test(body[from] ?? "")) from++;
    }
  };
  for (const block of blocks) {
    const tokens = estimateTokens(body.slice(block.start, block.end));
    if (tokens <= budget) out.push({ start: block.start, end: block.end, tokens });
    else for (const piece of blockPieces(body, block)) push(piece.start, piece.end);
  }
  return out;
}

/** Where the overlap into the next passage starts: trailing units of `chunk` within `budget`. */
function overlapStart(chunk: Unit[], budget: number): { index: number; tokens: number } {
  let tokens = 0;
  let index = chunk.length;
  // Never the whole previous passage: at most all but its first unit.
  while (index > 1) {
    const unit = chunk[index - 1];
    if (!unit || tokens + unit.tokens > budget) break;
    tokens += unit.tokens;
    index--;
  }
  return { index, tokens };
}

/** Packs units greedily into spans of at most `budget` tokens, each repeating a little of the last. */
function pack(all: Unit[], budget: number): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  const overlapBudget = Math.floor(budget * OVERLAP_SHARE);
  let chunk: Unit[] = [];
  let tokens = 0;
  for (const unit of all) {
    if (chunk.length > 0 && tokens + unit.tokens > budget) {
      spans.push({ start: chunk[0]?.start ?? unit.start, end: chunk[chunk.length - 1]?.end ?? 0 });
      const overlap = overlapStart(chunk, overlapBudget);
      const carried = chunk.slice(overlap.index);
      // The overlap must leave room for the unit that did not fit.
      if (overlap.tokens + unit.tokens <= budget) {
        chunk = carried;
        tokens = overlap.tokens;
      } else {
        chunk = [];
        tokens = 0;
      }
    }
    chunk.push(unit);
    tokens += unit.tokens;
  }
  if (chunk.length > 0) {
    spans.push({ start: chunk[0]?.start ?? 0, end: chunk[chunk.length - 1]?.end ?? 0 });
  }
  return spans;
}

/** The span of `body` without leading and trailing whitespace. */
function trimmedSpan(body: string, start: number, end: number): { start: number; end: number } {
  let s = start;
  let e = end;
  while (s < e && /\s/.test(body[s] ?? "")) s++;
  while (e > s && /\s/.test(body[e - 1] ?? "")) e--;
  return { start: s, end: e };
}

/** Splits an entry into its passages (at least one, in order of the body). */
export function splitEntry(fields: SplitFields, options: SplitOptions): Passage[] {
  const { body } = fields;
  const whole = trimmedSpan(body, 0, body.length);
  const firstContext = contextOf(fields, [], true);
  const firstBudget = budgetFor(options.windowTokens, firstContext, options.tokensPerWord);
  const one = (end: number): Passage[] => [
    {
      seq: 0,
      text: body.slice(whole.start, end),
      headingPath: [],
      start: whole.start,
      end,
      context: firstContext,
    },
  ];
  if (!options.passages) {
    const cut = whole.start + prefixWithin(body.slice(whole.start, whole.end), firstBudget);
    return one(trimmedSpan(body, whole.start, cut).end);
  }
  if (estimateTokens(body.slice(whole.start, whole.end)) <= firstBudget) return one(whole.end);

  const passages: Passage[] = [];
  for (const section of sections(parseBlocks(body))) {
    const context = contextOf(fields, section.headingPath, passages.length === 0);
    const budget = budgetFor(options.windowTokens, context, options.tokensPerWord);
    const first = section.blocks[0];
    const last = section.blocks[section.blocks.length - 1];
    if (!first || !last) continue;
    const span = { start: first.start, end: last.end };
    const spans =
      estimateTokens(body.slice(span.start, span.end)) <= budget
        ? [span]
        : pack(units(body, section.blocks, budget), budget);
    for (const { start, end } of spans) {
      passages.push({
        seq: passages.length,
        text: body.slice(start, end),
        headingPath: section.headingPath,
        start,
        end,
        // Only the entry's very first passage carries the summary.
        context: passages.length === 0 ? context : contextOf(fields, section.headingPath, false),
      });
    }
  }
  return passages.length > 0 ? passages : one(whole.end);
}

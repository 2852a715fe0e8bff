/**
 * Markdown blocks with their character spans: headings, paragraphs, lists, fenced code and
 * tables. A line scanner, not a full CommonMark parser: it needs only where blocks start and end,
 * so that a passage never cuts through a code block, a table or a list item it could hold whole.
 */

/** What a block is. */
export type BlockKind = "heading" | "paragraph" | "list" | "code" | "table";

/** One block: `body.slice(start, end)` is its text, without surrounding blank lines. */
export interface Block {
  kind: BlockKind;
  start: number;
  end: number;
  /** Headings only: 1–6 and the heading's text. */
  level?: number;
  heading?: string;
}

interface Line {
  text: string;
  start: number;
  end: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$/;
const TABLE_ROW = /^ {0,3}\|/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;
const INDENTED = /^(?: {2,}|\t)\S/;
const BLANK = /^\s*$/;

function lines(body: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start <= body.length) {
    const nl = body.indexOf("\n", start);
    const end = nl === -1 ? body.length : nl;
    // A CR before the newline belongs to the line break, not to the block.
    const textEnd = end > start && body[end - 1] === "\r" ? end - 1 : end;
    out.push({ text: body.slice(start, textEnd), start, end: textEnd });
    if (nl === -1) break;
    start = nl + 1;
  }
  return out;
}

/** Whether a line starts a block other than a paragraph (so it ends a paragraph). */
function startsBlock(text: string): boolean {
  return FENCE.test(text) || HEADING.test(text) || TABLE_ROW.test(text) || LIST_ITEM.test(text);
}

/** Splits a markdown body into its blocks, in order. */
export function parseBlocks(body: string): Block[] {
  const all = lines(body);
  const blocks: Block[] = [];
  let i = 0;
  const at = (n: number) => all[n]?.text ?? "";
  while (i < all.length) {
    const line = all[i];
    if (!line || BLANK.test(line.text)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line.text);
    if (fence) {
      const marker = fence[1] ?? "```";
      const closing = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`);
      let j = i + 1;
      while (j < all.length && !closing.test(at(j))) j++;
      const last = all[Math.min(j, all.length - 1)] ?? line;
      blocks.push({ kind: "code", start: line.start, end: last.end });
      i = j + 1;
      continue;
    }
    const heading = HEADING.exec(line.text);
    if (heading) {
      blocks.push({
        kind: "heading",
        start: line.start,
        end: line.end,
        level: heading[1]?.length ?? 1,
        heading: (heading[2] ?? "").trim(),
      });
      i++;
      continue;
    }
    let j = i + 1;
    let kind: BlockKind;
    if (TABLE_ROW.test(line.text)) {
      kind = "table";
      while (j < all.length && TABLE_ROW.test(at(j))) j++;
    } else if (LIST_ITEM.test(line.text)) {
      kind = "list";
      for (;;) {
        if (j >= all.length) break;
        const text = at(j);
        if (BLANK.test(text)) {
          // A blank line inside a list: the list goes on if an item or an indented line follows.
          let k = j + 1;
          while (k < all.length && BLANK.test(at(k))) k++;
          if (k < all.length && (LIST_ITEM.test(at(k)) || INDENTED.test(at(k)))) {
            j = k;
            continue;
          }
          break;
        }
        if (FENCE.test(text) && !INDENTED.test(text)) break;
        if (HEADING.test(text) || TABLE_ROW.test(text)) break;
        j++;
      }
    } else {
      kind = "paragraph";
      while (j < all.length && !BLANK.test(at(j)) && !startsBlock(at(j))) j++;
    }
    const last = all[j - 1] ?? line;
    blocks.push({ kind, start: line.start, end: last.end });
    i = j;
  }
  return blocks;
}

const SENTENCE_END = /[.!?…。！？]["')\]]*\s+/g;
const LIST_START = new RegExp(LIST_ITEM.source, "m");

/**
 * Smaller pieces of one block, for when it does not fit a passage: a paragraph's sentences, a
 * list's items, the lines of code or a table. Spans are absolute, like the block's.
 */
export function blockPieces(body: string, block: Block): { start: number; end: number }[] {
  const text = body.slice(block.start, block.end);
  const cuts: number[] = [0];
  if (block.kind === "paragraph") {
    for (const m of text.matchAll(SENTENCE_END)) cuts.push(m.index + m[0].length);
  } else if (block.kind === "list" && LIST_START.test(text)) {
    let offset = 0;
    for (const line of text.split("\n")) {
      if (offset > 0 && LIST_ITEM.test(line)) cuts.push(offset);
      offset += line.length + 1;
    }
  } else {
    let offset = text.indexOf("\n");
    while (offset !== -1) {
      cuts.push(offset + 1);
      offset = text.indexOf("\n", offset + 1);
    }
  }
  cuts.push(text.length);
  const pieces: { start: number; end: number }[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k] ?? 0;
    const to = cuts[k + 1] ?? text.length;
    const piece = text.slice(from, to);
    const lead = piece.length - piece.trimStart().length;
    const trail = piece.length - piece.trimEnd().length;
    if (piece.trim().length === 0) continue;
    pieces.push({ start: block.start + from + lead, end: block.start + to - trail });
  }
  return pieces;
}

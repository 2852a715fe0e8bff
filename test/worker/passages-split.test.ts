import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimateTokens } from "../../src/embedder/tokens";
import { parseBlocks } from "../../src/passages/blocks";
import { type Passage, passageInput, splitEntry } from "../../src/passages/split";

const WINDOW = 128;
/** What a passage with its context may cost: the splitter's share of the window. */
const LIMIT = Math.floor((WINDOW - 2) * 0.8);
const on = { windowTokens: WINDOW, passages: true };

const sentences = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => `The ${seed} sentence ${i} says something plain.`).join(" ");

function expectSpansHold(body: string, passages: Passage[]) {
  for (const p of passages) {
    expect(p.text).toBe(body.slice(p.start, p.end));
    expect(p.start).toBeLessThanOrEqual(p.end);
    expect(p.text).toBe(p.text.trim());
  }
  expect(passages.map((p) => p.seq)).toEqual(passages.map((_, i) => i));
  for (let i = 1; i < passages.length; i++) {
    expect(passages[i]?.start).toBeGreaterThan(passages[i - 1]?.start ?? -1);
  }
}

/** Every non-blank character of the body is in some passage. */
function expectCovered(body: string, passages: Passage[]) {
  const covered = new Uint8Array(body.length);
  for (const p of passages) covered.fill(1, p.start, p.end);
  for (let i = 0; i < body.length; i++) {
    if (!/\s/.test(body[i] ?? ""))
      expect(covered[i], `char ${i} ${JSON.stringify(body[i])}`).toBe(1);
  }
}

describe("splitEntry: structure", () => {
  it("a short entry is one passage: the whole body, with title and summary as context", () => {
    const body = "  # Notes\n\nA short note.\n\n- one\n- two\n";
    const [only, ...rest] = splitEntry({ title: "Short", summary: "Brief", body }, on);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ seq: 0, text: body.trim(), start: 2, headingPath: [] });
    expect(only?.context).toBe("Short\nBrief");
    expect(passageInput(only ?? { context: "", text: "" })).toBe(`Short\nBrief\n\n${body.trim()}`);
  });

  it("an empty body is one empty passage embedded as its title and summary", () => {
    const [only, ...rest] = splitEntry({ title: "T", summary: "S", body: "" }, on);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ text: "", start: 0, end: 0 });
    expect(passageInput(only ?? { context: "", text: "" })).toBe("T\nS");
  });

  it("each section of a long entry is a passage, under its heading path", () => {
    const body = [
      "Intro paragraph before any heading.",
      "# Alpha",
      sentences(4, "alpha"),
      "## Alpha one",
      sentences(4, "alpha-one"),
      "## Alpha two",
      "### Deep",
      sentences(3, "deep"),
      "# Beta",
      sentences(4, "beta"),
    ].join("\n\n");
    const passages = splitEntry({ title: "Doc", summary: "", body }, on);
    expectSpansHold(body, passages);
    expectCovered(body, passages);
    expect(passages.map((p) => p.headingPath)).toEqual([
      [],
      ["Alpha"],
      ["Alpha", "Alpha one"],
      ["Alpha", "Alpha two", "Deep"],
      ["Beta"],
    ]);
    // A heading with nothing under it joins the section that follows.
    expect(passages[3]?.text.startsWith("## Alpha two\n\n### Deep")).toBe(true);
    expect(passages[4]?.text.startsWith("# Beta")).toBe(true);
    expect(passages[4]?.context).toBe("Doc › Beta");
    expect(passages[0]?.context).toBe("Doc");
  });

  it("keeps a code block and a table whole when they fit", () => {
    const code = "```ts\nconst a = 1;\n\nconst b = 2;\n```";
    const table = "| a | b |\n| - | - |\n| 1 | 2 |";
    const body = [
      sentences(12, "lead"),
      code,
      sentences(12, "middle"),
      table,
      sentences(12, "tail"),
    ].join("\n\n");
    const passages = splitEntry({ title: "Blocks", summary: "", body }, on);
    expect(passages.length).toBeGreaterThan(1);
    expect(passages.some((p) => p.text.includes(code))).toBe(true);
    expect(passages.some((p) => p.text.includes(table))).toBe(true);
    for (const p of passages) {
      // No passage holds part of a fence without the rest.
      expect((p.text.match(/```/g) ?? []).length % 2).toBe(0);
    }
  });

  it("parses blocks: headings, fences with blank lines, lists with continuation, tables", () => {
    const body = "# H\n\npara\nline\n\n```\na\n\nb\n```\n\n- x\n  more\n\n- y\n\n| t |\n| - |";
    expect(parseBlocks(body).map((b) => b.kind)).toEqual([
      "heading",
      "paragraph",
      "code",
      "list",
      "table",
    ]);
  });
});

describe("splitEntry: sizes and overlap", () => {
  it("fits every passage and its context in the window, splitting long blocks", () => {
    const longParagraph = sentences(80, "long");
    const longCode = `\`\`\`\n${Array.from({ length: 200 }, (_, i) => `line_${i} = ${i}`).join("\n")}\n\`\`\``;
    const oneHugeWord = "x".repeat(5000);
    const body = ["# Long", longParagraph, "# Code", longCode, "# Word", oneHugeWord].join("\n\n");
    const passages = splitEntry({ title: "Sizes", summary: "A summary", body }, on);
    expectSpansHold(body, passages);
    expectCovered(body, passages);
    expect(passages.length).toBeGreaterThan(10);
    for (const p of passages) expect(estimateTokens(passageInput(p))).toBeLessThanOrEqual(LIMIT);
  });

  it("passages of one long section overlap a little; sections never overlap", () => {
    const body = ["# One", sentences(60, "one"), "# Two", sentences(60, "two")].join("\n\n");
    const passages = splitEntry({ title: "Overlap", summary: "", body }, on);
    let overlaps = 0;
    for (let i = 1; i < passages.length; i++) {
      const prev = passages[i - 1] as Passage;
      const next = passages[i] as Passage;
      if (prev.headingPath.join() !== next.headingPath.join()) {
        expect(next.start).toBeGreaterThanOrEqual(prev.end);
        continue;
      }
      expect(next.end).toBeGreaterThan(prev.end);
      if (next.start < prev.end) {
        overlaps++;
        const shared = estimateTokens(body.slice(next.start, prev.end));
        expect(shared).toBeLessThanOrEqual(Math.ceil(estimateTokens(next.text) * 0.2));
      }
    }
    expect(overlaps).toBeGreaterThan(2);
  });

  it("an edit to one section changes only that section's passages", () => {
    const section = (n: number, extra = "") =>
      `## Section ${n}\n\n${sentences(6, `s${n}`)}${extra}`;
    const before = Array.from({ length: 10 }, (_, i) => section(i)).join("\n\n");
    const after = Array.from({ length: 10 }, (_, i) =>
      section(i, i === 4 ? " An added sentence." : ""),
    ).join("\n\n");
    const key = (p: Passage) => `${p.context}\u0000${p.text}`;
    const old = new Set(splitEntry({ title: "Ten", summary: "", body: before }, on).map(key));
    const edited = splitEntry({ title: "Ten", summary: "", body: after }, on);
    expect(edited).toHaveLength(10);
    expect(edited.filter((p) => !old.has(key(p)))).toHaveLength(1);
  });

  it("with passages off, one passage: the whole note cut to the window", () => {
    const body = sentences(100, "whole");
    const passages = splitEntry({ title: "Off", summary: "", body }, { ...on, passages: false });
    expect(passages).toHaveLength(1);
    const [only] = passages;
    expect(only?.start).toBe(0);
    expect(only?.end).toBeLessThan(body.length);
    expect(estimateTokens(passageInput(only as Passage))).toBeLessThanOrEqual(LIMIT);
    expect(body.startsWith(only?.text ?? "-")).toBe(true);
  });

  it("holds for any markdown: spans, order, coverage and size", () => {
    const line = fc.oneof(
      fc.constantFrom("# Head", "## Sub", "### Deep", "```", "| a | b |", "- item", "1. first", ""),
      fc.string({ maxLength: 300 }),
      fc
        .array(fc.constantFrom("alpha", "beta.", "γάμμα", "数据", "12345", "x", "!"), {
          maxLength: 120,
        })
        .map((w) => w.join(" ")),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 60 }),
        fc.integer({ min: 48, max: 512 }),
        (lines, window) => {
          const body = lines.join("\n");
          const passages = splitEntry(
            { title: "P", summary: "", body },
            { windowTokens: window, passages: true },
          );
          expectSpansHold(body, passages);
          expectCovered(body, passages);
          const limit = Math.floor((window - 2) * 0.8);
          for (const p of passages)
            expect(estimateTokens(passageInput(p))).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});

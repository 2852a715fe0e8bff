/** Turns free text into a safe FTS5 query: user input never reaches FTS5's own syntax. */

/** The words of a query (letters and digits), lowercased, deduplicated, at most 32. */
export function queryTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, 32);
}

/** All terms must match (`"a" "b"`), or any of them (`"a" OR "b"`). */
export function ftsMatch(terms: string[], mode: "all" | "any"): string {
  return terms.map((t) => `"${t}"`).join(mode === "all" ? " " : " OR ");
}

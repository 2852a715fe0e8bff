/**
 * Splits a markdown file into its YAML frontmatter and body with gray-matter, whose YAML engine
 * (js-yaml, YAML 1.1) reads what pyrite's PyYAML reads, leniencies included. Values come back
 * JSON-safe, so every field survives the trip through the API.
 */
import matter from "gray-matter";

/** A parsed file. */
export interface Frontmatter {
  /** The frontmatter mapping; empty when the file has none. */
  data: Record<string, unknown>;
  /** The markdown after the frontmatter, untouched. */
  body: string;
  hasFrontmatter: boolean;
  /** Things fixed or converted on the way, for the report. */
  warnings: string[];
}

/** The file's frontmatter cannot be read. */
export class FrontmatterError extends Error {
  override name = "FrontmatterError";
}

const OPEN = /^---[ \t]*\r?\n/;
/** `key: value---`: a closing fence glued to the last value, as some pyrite exports have it. */
const GLUED_CLOSE = /^([^\r\n]*[^\s-])---[ \t]*$/m;

/** Parses `text`; throws FrontmatterError when its frontmatter is not a readable YAML mapping. */
export function parseFrontmatter(text: string): Frontmatter {
  const warnings: string[] = [];
  try {
    return { ...split(text), warnings };
  } catch (err) {
    const repaired = repairGluedClose(text);
    if (repaired === undefined) throw new FrontmatterError(reason(err));
    try {
      const parsed = split(repaired.text);
      warnings.push(
        `the closing '---' of the frontmatter was glued to '${repaired.line}'; read it as its own line, as pyrite does`,
      );
      return { ...parsed, warnings };
    } catch {
      throw new FrontmatterError(reason(err));
    }
  }
}

function split(text: string): Omit<Frontmatter, "warnings"> {
  // Any options object keeps gray-matter from caching every file's text for the process's life.
  const file = matter(text, { excerpt: false });
  const hasFrontmatter = OPEN.test(text.replace(/^\uFEFF/, ""));
  const data: unknown = file.data;
  if (data === null || data === undefined) return { data: {}, body: file.content, hasFrontmatter };
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new FrontmatterError(
      `the frontmatter is a YAML ${Array.isArray(data) ? "list" : typeof data}, not a mapping of fields`,
    );
  }
  return { data: data as Record<string, unknown>, body: file.content, hasFrontmatter };
}

/**
 * pyrite itself ends the frontmatter at the first `---` after the opening one, even mid-line; a
 * strict reader sees no closing fence and fails. Only a file that fails strictly is repaired, and
 * only when the glued fence comes before any proper closing line.
 */
function repairGluedClose(text: string): { text: string; line: string } | undefined {
  const start = OPEN.exec(text);
  if (!start) return undefined;
  const rest = text.slice(start[0].length);
  const glued = GLUED_CLOSE.exec(rest);
  if (!glued || glued[1] === undefined) return undefined;
  const before = rest.slice(0, glued.index);
  if (/^---[ \t]*$/m.test(before)) return undefined;
  const fixed = `${before}${glued[1]}\n---${rest.slice(glued.index + glued[0].length)}`;
  return { text: `${start[0]}${fixed}`, line: glued[0].trim() };
}

function reason(err: unknown): string {
  if (err instanceof FrontmatterError) return err.message;
  const text = err instanceof Error ? err.message : String(err);
  // js-yaml appends a multi-line excerpt; its first line carries the message and position.
  const first = (text.split("\n")[0] ?? text).trim().replace(/:$/, "");
  // Positions are counted from the line after the opening '---'; report them in file lines.
  const inFile = first.replace(
    /at line (\d+), column (\d+)/,
    (_, line: string, column: string) => `at line ${Number(line) + 1}, column ${column}`,
  );
  return `invalid YAML frontmatter: ${inFile}`;
}

/**
 * Splits a markdown file into its frontmatter and body, and reads the frontmatter as YAML with
 * the importer's bounded reader. Frontmatter is YAML and nothing else: a block marked with another
 * language (`---js`, `---json`, `---toml`…) is refused, never evaluated. Where pyrite reads a file
 * that strict YAML refuses, the file is repaired the way pyrite reads it, with a warning.
 */
import { readYaml, YamlError } from "./yaml.js";

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

/** The frontmatter's text (from the end of the opening `---`) and the body after it. */
interface Split {
  /** Starts with the opening line's newline, so its line numbers are the file's. */
  yaml: string;
  body: string;
}

/**
 * An opening fence: `---` and an optional language name on the first line. `----` is a markdown
 * rule, not a fence.
 */
const OPEN = /^---(?!-)([^\r\n]*)(?:\r?\n|$)/;
/** `key: value---`: a closing fence glued to the last value, as some pyrite exports have it. */
const GLUED_CLOSE = /^([^\r\n]*[^\s-])---[ \t]*$/m;
const YAML_LANGUAGE = /^(?:yaml|yml)$/i;

/** Parses `text`; throws FrontmatterError when its frontmatter is not a readable YAML mapping. */
export function parseFrontmatter(text: string): Frontmatter {
  const plain = text.replace(/^\uFEFF/, "");
  const open = OPEN.exec(plain);
  if (!open) return { data: {}, body: plain, hasFrontmatter: false, warnings: [] };
  const language = (open[1] ?? "").trim();
  if (language !== "" && !YAML_LANGUAGE.test(language)) {
    throw new FrontmatterError(
      `the frontmatter is marked '${language.slice(0, 40)}', not YAML; only YAML frontmatter is read`,
    );
  }
  const warnings: string[] = [];
  let split = splitAt(plain, 3 + (open[1] ?? "").length);
  let firstError: unknown;
  try {
    return { data: mappingOf(split.yaml), body: split.body, hasFrontmatter: true, warnings };
  } catch (err) {
    firstError = err;
  }
  // pyrite reads a few files strict YAML refuses: repair them as pyrite reads them, one fix at a
  // time, and keep the first error if the repaired file still fails.
  const glued = repairGluedClose(plain, open[0].length);
  if (glued) {
    split = splitAt(glued.text, 3 + (open[1] ?? "").length);
    warnings.push(
      `the closing '---' of the frontmatter was glued to '${glued.line}'; read it as its own line, as pyrite does`,
    );
  }
  const quoted = repairQuotedContinuation(split.yaml);
  if (quoted) {
    split = { ...split, yaml: quoted.yaml };
    warnings.push(quoted.warning);
  }
  if (warnings.length === 0) throw new FrontmatterError(reason(firstError));
  try {
    return { data: mappingOf(split.yaml), body: split.body, hasFrontmatter: true, warnings };
  } catch {
    throw new FrontmatterError(reason(firstError));
  }
}

/**
 * The frontmatter ends at the first line that starts with `---` (pyrite's rule, and the one every
 * file written so far was read with); without one, the whole rest is frontmatter. The body starts
 * after the fence's `---`, less one line break.
 */
function splitAt(text: string, afterOpen: number): Split {
  const rest = text.slice(afterOpen);
  const close = rest.indexOf("\n---");
  if (close === -1) return { yaml: rest, body: "" };
  const body = rest.slice(close + 4).replace(/^\r?\n/, "");
  // Of a CRLF fence line, the '\r' is the fence's: left on the YAML, it would end its last value.
  return { yaml: rest.slice(0, close).replace(/\r$/, ""), body };
}

function mappingOf(yaml: string): Record<string, unknown> {
  const data = readYaml(yaml);
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new FrontmatterError(
      `the frontmatter is a YAML ${Array.isArray(data) ? "list" : typeof data}, not a mapping of fields`,
    );
  }
  return data as Record<string, unknown>;
}

/**
 * pyrite itself ends the frontmatter at the first `---` after the opening one, even mid-line; a
 * strict reader sees no closing fence and fails. Only a file that fails strictly is repaired, and
 * only when the glued fence comes before any proper closing line.
 */
function repairGluedClose(
  text: string,
  openEnd: number,
): { text: string; line: string } | undefined {
  const rest = text.slice(openEnd);
  const glued = GLUED_CLOSE.exec(rest);
  if (!glued || glued[1] === undefined) return undefined;
  const before = rest.slice(0, glued.index);
  if (/^---[ \t]*$/m.test(before)) return undefined;
  const fixed = `${before}${glued[1]}\n---${rest.slice(glued.index + glued[0].length)}`;
  return { text: `${text.slice(0, openEnd)}${fixed}`, line: glued[0].trim() };
}

/** `key: "text` (or `- 'text`) whose quote does not close on the same line. */
const QUOTE_OPENS = /^([ \t]*)(?:[^\s#'"-][^\r\n]*?:|-)[ \t]+(["'])(.*)$/;

/**
 * A quoted value that goes on over lines less indented than its key (`title: "A long\nR&D title"`):
 * PyYAML reads it as one value, YAML 1.2 readers see a broken line. The continuation lines are
 * indented one past the key, which is how YAML spells the same value.
 */
function repairQuotedContinuation(yaml: string): { yaml: string; warning: string } | undefined {
  const lines = yaml.split("\n");
  const moved: number[] = [];
  let quote: { mark: string; indent: number } | undefined;
  for (const [i, line] of lines.entries()) {
    if (quote) {
      const indent = /^[ \t]*/.exec(line)?.[0].length ?? 0;
      if (indent < quote.indent && line.trim() !== "") {
        lines[i] = " ".repeat(quote.indent - indent) + line;
        moved.push(i + 1);
      }
      if (closes(line, quote.mark)) quote = undefined;
      continue;
    }
    const opens = QUOTE_OPENS.exec(line);
    const [, lead = "", mark = "", value = ""] = opens ?? [];
    if (opens && !closes(value, mark)) quote = { mark, indent: lead.length + 1 };
  }
  if (moved.length === 0) return undefined;
  return {
    yaml: lines.join("\n"),
    warning: `a quoted value goes on at the start of line ${moved.join(", ")}; read it as one value, as pyrite does`,
  };
}

/** Whether `text` holds the closing `mark`: `\"` escapes a double quote, `''` a single one. */
function closes(text: string, mark: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (mark === '"' && text[i] === "\\") i++;
    else if (text[i] === mark) {
      if (mark === "'" && text[i + 1] === "'") i++;
      else return true;
    }
  }
  return false;
}

function reason(err: unknown): string {
  if (err instanceof FrontmatterError) return err.message;
  if (err instanceof YamlError) {
    // The frontmatter's text starts on the opening line, so its positions are the file's.
    const at = err.line === undefined ? "" : ` at line ${err.line}, column ${err.column ?? 1}`;
    return `invalid YAML frontmatter: ${err.message}${at}`;
  }
  return `invalid YAML frontmatter: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * One pyrite markdown file → one API entry. pyrite's own fields map onto entry fields; every
 * other frontmatter field is kept in `metadata`. What had to be fixed on the way is reported as a
 * warning; what cannot be imported at all is a reason to skip the file.
 */

import { slugify } from "../domain/slug.js";
import { limits } from "../model/limits.js";
import { FrontmatterError, parseFrontmatter } from "./frontmatter.js";
import { type JsonValue, toJsonValue } from "./json-value.js";
import { normalizeEntryId, normalizeEntryType } from "./normalize.js";

/** An entry as the import sends it (the KB is the batch's). */
export interface ImportEntry {
  id: string;
  title: string;
  body: string;
  summary?: string;
  entry_type?: string;
  tags?: string[];
  importance?: number;
  metadata: Record<string, JsonValue>;
}

/** The outcome for one file. */
export type FileOutcome =
  | { ok: true; entry: ImportEntry; warnings: string[] }
  | { ok: false; reason: string };

const encoder = new TextEncoder();

/** Maps a file's text to an entry; `fileName` is the fallback title (and id) source. */
export function fileToEntry(text: string, fileName: string): FileOutcome {
  let parsed: ReturnType<typeof parseFrontmatter>;
  try {
    parsed = parseFrontmatter(text);
  } catch (err) {
    if (err instanceof FrontmatterError) return { ok: false, reason: err.message };
    throw err;
  }
  const warnings = [...parsed.warnings];
  const { id, title, type, tags, importance, summary, metadata, ...rest } = parsed.data;
  const body = parsed.body.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();

  const bodyBytes = encoder.encode(body).length;
  if (bodyBytes > limits.bodyBytes) {
    return {
      ok: false,
      reason: `the body is ${bodyBytes} bytes; the API takes at most ${limits.bodyBytes}`,
    };
  }

  const entryTitle = titleOf(title, body, fileName, warnings);
  const entryId = idOf(id, entryTitle, fileName, warnings);
  if (entryId === undefined) {
    return {
      ok: false,
      reason:
        "no id: the frontmatter has none, and neither the title nor the file name has letters or digits to make one",
    };
  }
  const entry: ImportEntry = { id: entryId, title: entryTitle, body, metadata: {} };

  const entryType = typeOf(type, warnings);
  if (entryType !== undefined) entry.entry_type = entryType;
  const entryTags = tagsOf(tags, warnings);
  if (entryTags !== undefined) entry.tags = entryTags;
  const entryImportance = importanceOf(importance, warnings);
  if (entryImportance !== undefined) entry.importance = entryImportance;
  const entrySummary = summaryOf(summary, warnings);
  if (entrySummary !== undefined) entry.summary = entrySummary;

  entry.metadata = metadataOf(rest, metadata, warnings);
  const metadataBytes = encoder.encode(JSON.stringify(entry.metadata)).length;
  if (metadataBytes > limits.metadataBytes) {
    return {
      ok: false,
      reason: `the other frontmatter fields come to ${metadataBytes} bytes as JSON; the API keeps at most ${limits.metadataBytes} as metadata`,
    };
  }
  return { ok: true, entry, warnings };
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** The frontmatter title, else the first `# heading`, else the file name. */
function titleOf(raw: unknown, body: string, fileName: string, warnings: string[]): string {
  let title = scalarText(raw)?.trim() ?? "";
  if (raw !== undefined && raw !== null && title === "") {
    warnings.push("title: not usable text; using the first heading or the file name");
  }
  if (title === "") title = /^#[ \t]+(.+?)[ \t#]*$/m.exec(body)?.[1]?.trim() ?? "";
  if (title === "") title = fileName.replace(/\.md$/i, "").trim() || fileName;
  if (title.length > limits.titleChars) {
    warnings.push(`title: ${title.length} characters, cut to ${limits.titleChars}`);
    title = title.slice(0, limits.titleChars);
  }
  return title;
}

/** The frontmatter id (normalized), else the slug of the title, else of the file name. */
function idOf(raw: unknown, title: string, fileName: string, warnings: string[]) {
  const given = scalarText(raw);
  if (given !== undefined) {
    const id = normalizeEntryId(given);
    if (id !== undefined) {
      if (id !== given) warnings.push(`id: '${given}' is not a valid id; using '${id}'`);
      return id;
    }
    warnings.push(`id: '${given}' has no usable characters; using the slug of the title`);
  } else if (raw !== undefined && raw !== null) {
    warnings.push("id: not a string; using the slug of the title");
  }
  return (
    normalizeEntryId(slugify(title)) ?? normalizeEntryId(slugify(fileName.replace(/\.md$/i, "")))
  );
}

function typeOf(raw: unknown, warnings: string[]): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const given = scalarText(raw);
  const type = given === undefined ? undefined : normalizeEntryType(given);
  if (type === undefined) {
    warnings.push(`type: ${JSON.stringify(raw)} is not a usable type; the default applies`);
  } else if (type !== given) {
    warnings.push(`type: '${given}' is not a valid type name; using '${type}'`);
  }
  return type;
}

/** Strings kept, numbers (a year, say) coerced, anything else dropped with a warning. */
function tagsOf(raw: unknown, warnings: string[]): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [raw];
  const tags: string[] = [];
  for (const item of list) {
    const text =
      typeof item === "number" || typeof item === "string" ? String(item).trim() : undefined;
    if (text === undefined) {
      warnings.push(`tags: ${JSON.stringify(item) ?? String(item)} is not a string; dropped`);
      continue;
    }
    if (typeof item === "number")
      warnings.push(`tags: the number ${item} kept as the tag '${text}'`);
    if (text.length > limits.tagChars) {
      warnings.push(
        `tags: '${text.slice(0, 40)}…' is longer than ${limits.tagChars} characters; dropped`,
      );
    } else if (text !== "" && !tags.includes(text)) {
      tags.push(text);
    }
  }
  if (tags.length > limits.tags) {
    warnings.push(`tags: ${tags.length} tags, kept the first ${limits.tags}`);
    tags.length = limits.tags;
  }
  return tags;
}

/** 1–10: numbers (or numeric strings) rounded and clamped; anything else dropped. */
function importanceOf(raw: unknown, warnings: string[]): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const value =
    typeof raw === "number"
      ? raw
      : typeof raw === "string" && raw.trim() !== ""
        ? Number(raw)
        : Number.NaN;
  if (!Number.isFinite(value)) {
    warnings.push(`importance: ${JSON.stringify(raw)} is not a number; the default applies`);
    return undefined;
  }
  const importance = Math.min(10, Math.max(1, Math.round(value)));
  if (importance !== raw) warnings.push(`importance: ${JSON.stringify(raw)} read as ${importance}`);
  return importance;
}

function summaryOf(raw: unknown, warnings: string[]): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  let summary = scalarText(raw);
  if (summary === undefined) {
    warnings.push("summary: not text; dropped");
    return undefined;
  }
  if (summary.length > limits.summaryChars) {
    warnings.push(`summary: ${summary.length} characters, cut to ${limits.summaryChars}`);
    summary = summary.slice(0, limits.summaryChars);
  }
  return summary;
}

/**
 * Every other field, plus the keys of an explicit `metadata:` mapping (pyrite's own metadata).
 * pyrite writes those keys at the top level too; where the two disagree, the top-level value is
 * kept and the nested one stays under `metadata.metadata`, so nothing is lost.
 */
function metadataOf(
  rest: Record<string, unknown>,
  nested: unknown,
  warnings: string[],
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(rest)) {
    Object.defineProperty(out, key, {
      value: toJsonValue(value, key, warnings),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (nested === undefined || nested === null) return out;
  const inner = toJsonValue(nested, "metadata", warnings);
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) {
    out.metadata = inner;
    return out;
  }
  const conflicts: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(inner)) {
    if (!Object.hasOwn(out, key)) {
      Object.defineProperty(out, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (JSON.stringify(out[key]) !== JSON.stringify(value)) {
      conflicts[key] = value;
    }
  }
  if (Object.keys(conflicts).length > 0) {
    warnings.push(
      `metadata: ${Object.keys(conflicts).join(", ")} differ from the top-level fields; the nested values are kept under metadata.metadata`,
    );
    out.metadata = conflicts;
  }
  return out;
}

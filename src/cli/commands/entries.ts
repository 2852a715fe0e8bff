/** `add`, `get`, `update`, `rm`, `list`: entries through `/api/entries`. */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { ok } from "../../contract/client.js";
import { FrontmatterError, parseFrontmatter } from "../../import/frontmatter.js";
import { limits } from "../../model/limits.js";
import type { EntryRead, EntryWriteResult } from "../../shared/api-types.js";
import { clientOf, globals, intArg, listArg } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { clip, keyValues, printJson, println, table } from "../output.js";

/** Field options shared by `add` and `update`. */
interface FieldOptions {
  kb: string;
  title?: string;
  body?: string;
  file?: string;
  summary?: string;
  tags?: string[];
  type?: string;
  id?: string;
  importance?: number;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** Front matter values of a markdown file that may stand in for missing options. */
function fromFrontMatter(data: Record<string, unknown>): Partial<FieldOptions> {
  const text = (key: string) => (typeof data[key] === "string" ? data[key] : undefined);
  const tags = Array.isArray(data.tags)
    ? data.tags.map(String)
    : typeof data.tags === "string"
      ? listArg(data.tags)
      : undefined;
  return {
    title: text("title"),
    summary: text("summary"),
    type: text("type") ?? text("entry_type"),
    id: text("id"),
    tags,
  };
}

/**
 * The fields a write sends: only those given. The body comes from `--body`, `--file` (markdown;
 * its front matter fills options not given) or, for `add`, stdin when it is not a terminal.
 */
async function fields(
  options: FieldOptions,
  bodyFromStdin: boolean,
): Promise<Record<string, unknown>> {
  if (options.body !== undefined && options.file !== undefined) {
    throw usageError("give the body with --body or --file, not both");
  }
  let merged: FieldOptions = options;
  let body = options.body;
  if (options.file !== undefined) {
    let text: string;
    try {
      text = await readFile(options.file, "utf8");
    } catch (error) {
      throw new CliError(
        `cannot read ${options.file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    let parsed: ReturnType<typeof parseFrontmatter>;
    try {
      parsed = parseFrontmatter(text);
    } catch (error) {
      if (!(error instanceof FrontmatterError)) throw error;
      throw usageError(`${options.file}: ${error.message}`);
    }
    const front = fromFrontMatter(parsed.data);
    merged = {
      ...front,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      kb: options.kb,
    };
    body = parsed.body.replace(/^\n+/, "");
  } else if (body === undefined && bodyFromStdin && !process.stdin.isTTY) {
    body = await readStdin();
  }
  const out: Record<string, unknown> = {};
  if (merged.title !== undefined) out.title = merged.title;
  if (body !== undefined) out.body = body;
  if (merged.summary !== undefined) out.summary = merged.summary;
  if (merged.tags !== undefined) out.tags = merged.tags;
  if (merged.type !== undefined) out.entry_type = merged.type;
  if (merged.importance !== undefined) out.importance = merged.importance;
  if (merged.id !== undefined) out.id = merged.id;
  return out;
}

function fieldOptions(command: Command, withId: boolean): Command {
  command
    .requiredOption("--kb <kb>", "knowledge base")
    .option("--title <title>", "title")
    .option("--body <text>", "body (markdown)")
    .option("--file <path>", "read the body from a markdown file (front matter fills other fields)")
    .option("--summary <text>", "summary")
    .option("--tags <a,b>", "comma-separated tags", listArg)
    .option("--type <type>", "entry type (default note)")
    .option("--importance <n>", "importance 1-10", intArg(1, 10));
  if (withId) command.option("--id <id>", "explicit id (default: a slug of the title)");
  return command;
}

function printWrite(command: Command, result: EntryWriteResult, verb: string): void {
  if (globals(command).json) {
    printJson(result);
    return;
  }
  const { entry, embedding } = result;
  println(`${verb} ${entry.kb_name}/${entry.id}: ${entry.title}`);
  println(`embedding: ${embedding.status}${embedding.error ? ` (${embedding.error})` : ""}`);
}

function printEntry({ entry, embedding }: EntryRead): void {
  println(
    keyValues([
      ["kb", entry.kb_name],
      ["id", entry.id],
      ["title", entry.title],
      ["type", entry.entry_type],
      ["tags", entry.tags.join(", ")],
      ["importance", entry.importance],
      ["summary", entry.summary],
      ["updated", entry.updated_at],
      ["content hash", entry.content_hash.slice(0, 16)],
      [
        "embedding",
        `${embedding.status}${embedding.stale ? " (stale)" : ""}${embedding.error ? `: ${embedding.error}` : ""}`,
      ],
    ]),
  );
  if (entry.body) println(`\n${entry.body}`);
}

/** Registers the entry commands on `program`. */
export function registerEntryCommands(program: Command): void {
  fieldOptions(
    program.command("add").description("create an entry (body from --body, --file or stdin)"),
    true,
  ).action(async (options: FieldOptions, command: Command) => {
    const { title, ...body } = await fields(options, true);
    if (typeof title !== "string")
      throw usageError("add needs --title (or a title in the --file front matter)");
    const result = await ok(
      clientOf(command).http.api.entries.$post({ json: { ...body, kb: options.kb, title } }),
    );
    printWrite(command, result, "created");
  });

  program
    .command("get")
    .description("show an entry")
    .argument("<id>", "entry id")
    .requiredOption("--kb <kb>", "knowledge base")
    .action(async (id: string, options: { kb: string }, command: Command) => {
      const entry = await ok(
        clientOf(command).http.api.entries[":id"].$get({
          param: { id },
          query: { kb: options.kb },
        }),
      );
      if (globals(command).json) printJson(entry);
      else printEntry(entry);
    });

  fieldOptions(
    program
      .command("update")
      .description("change fields of an entry (only those given)")
      .argument("<id>", "entry id"),
    false,
  ).action(async (id: string, options: FieldOptions, command: Command) => {
    const patch = await fields(options, false);
    if (Object.keys(patch).length === 0)
      throw usageError("update needs at least one field to change");
    const result = await ok(
      clientOf(command).http.api.entries[":id"].$patch({
        param: { id },
        query: { kb: options.kb },
        json: patch,
        header: {},
      }),
    );
    printWrite(command, result, "updated");
  });

  program
    .command("rm")
    .description("delete an entry (its queue row and vector go with it)")
    .argument("<id>", "entry id")
    .requiredOption("--kb <kb>", "knowledge base")
    .action(async (id: string, options: { kb: string }, command: Command) => {
      const result = await ok(
        clientOf(command).http.api.entries[":id"].$delete({
          param: { id },
          query: { kb: options.kb },
          header: {},
        }),
      );
      if (globals(command).json) printJson(result);
      else println(`deleted ${result.kb_name}/${result.id}`);
    });

  program
    .command("list")
    .description("list the entries of a knowledge base")
    .requiredOption("--kb <kb>", "knowledge base")
    .option("--limit <n>", "how many", intArg(1, limits.listLimit))
    .option("--offset <n>", "skip this many", intArg(0))
    .action(async (options: { kb: string; limit?: number; offset?: number }, command: Command) => {
      const list = await ok(
        clientOf(command).http.api.entries.$get({
          query: {
            kb: options.kb,
            limit: options.limit?.toString(),
            offset: options.offset?.toString(),
          },
        }),
      );
      if (globals(command).json) {
        printJson(list);
        return;
      }
      println(
        table(
          ["id", "title", "type", "tags", "updated"],
          list.entries.map((e) => [
            e.id,
            clip(e.title, 40),
            e.entry_type,
            clip(e.tags.join(","), 24),
            e.updated_at,
          ]),
        ),
      );
      // A page cut short by its byte budget says where to go on.
      const next = list.next_offset === null ? "" : `; next: --offset ${list.next_offset}`;
      println(`${list.entries.length} of ${list.total} (offset ${list.offset}${next})`);
    });
}

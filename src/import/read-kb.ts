/**
 * Reads pyrite knowledge-base folders: finds the KBs, names them, and turns every markdown file
 * into an entry or a reason it was skipped. Nothing is sent from here.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { errorText, outsideReason, readKbFile } from "./kb-file.js";
import { normalizeKbName } from "./normalize.js";
import { fileToEntry, type ImportEntry } from "./to-entry.js";
import { readYaml } from "./yaml.js";

/** One file that could not be imported, and why. */
export interface Skipped {
  path: string;
  reason: string;
}

/** A KB as read from disk. */
export interface KbRead {
  name: string;
  /** The folders it was read from. */
  dirs: string[];
  /** How the name was found or changed. */
  notes: string[];
  /** Markdown files found. */
  files: number;
  entries: { path: string; entry: ImportEntry }[];
  skipped: Skipped[];
  warnings: { path: string; message: string }[];
}

const KB_FILE = "kb.yaml";

/**
 * The KB folders under `dir`: `dir` itself when it holds a `kb.yaml` (or holds no KB folders),
 * otherwise each immediate subfolder that does, so a folder of KBs imports in one go.
 */
export async function findKbDirs(dir: string): Promise<string[]> {
  if (await isFile(path.join(dir, KB_FILE))) return [dir];
  const children = await readdir(dir, { withFileTypes: true });
  const kbs: string[] = [];
  for (const child of children.sort((a, b) => compare(a.name, b.name))) {
    if (!child.isDirectory() || child.name.startsWith(".")) continue;
    const sub = path.join(dir, child.name);
    if (await isFile(path.join(sub, KB_FILE))) kbs.push(sub);
  }
  return kbs.length > 0 ? kbs : [dir];
}

/** The KB's name: `override`, else `name` in kb.yaml, else the folder's name; normalized. */
export async function kbNameOf(
  dir: string,
  override?: string,
): Promise<{ name: string; notes: string[] }> {
  const notes: string[] = [];
  let raw = override;
  let source = "--kb";
  if (raw === undefined) {
    const fromYaml = await nameFromKbYaml(dir, notes);
    raw = fromYaml ?? path.basename(path.resolve(dir));
    source = fromYaml === undefined ? "the folder name" : KB_FILE;
  }
  const name = normalizeKbName(raw);
  if (name === undefined) {
    throw new Error(
      `cannot make a KB name from '${raw}' (${source}): it has no letters or digits; give --kb NAME`,
    );
  }
  if (name !== raw) {
    notes.push(
      `KB name '${raw}' (${source}) normalized to '${name}' (the API's rule: ^[a-z0-9][a-z0-9_-]{0,63}$)`,
    );
  }
  return { name, notes };
}

async function nameFromKbYaml(dir: string, notes: string[]): Promise<string | undefined> {
  const file = path.join(dir, KB_FILE);
  if (!(await isFile(file))) return undefined;
  try {
    const read = await readKbFile(file, await realpath(dir));
    if (!read.ok) throw new Error(read.reason);
    const doc: unknown = readYaml(read.text);
    const name: unknown =
      typeof doc === "object" && doc !== null ? Reflect.get(doc, "name") : undefined;
    if (typeof name === "string" && name.trim() !== "") return name.trim();
    notes.push(`${file} has no 'name'; using the folder name`);
  } catch (err) {
    notes.push(`${file} could not be read (${errorText(err)}); using the folder name`);
  }
  return undefined;
}

/**
 * Every `*.md` below `dir`, in a stable order. Skipped as pyrite skips them: hidden files and
 * folders, `_templates` folders, and README files (they describe the KB; they are not entries).
 * A symlink that leads out of the KB folder is not followed and goes to `skipped` with its reason.
 */
export async function listMarkdownFiles(dir: string, skipped: Skipped[] = []): Promise<string[]> {
  const root = await realpath(dir);
  const out: string[] = [];
  async function walk(current: string): Promise<void> {
    const children = await readdir(current, { withFileTypes: true }).catch((err: unknown) => {
      // An unreadable subfolder costs only its own files; an unreadable KB folder is the caller's.
      if (current === dir) throw err;
      skipped.push({ path: current, reason: `cannot read the folder: ${errorText(err)}` });
      return [];
    });
    for (const child of children.sort((a, b) => compare(a.name, b.name))) {
      if (child.name.startsWith(".")) continue;
      const full = path.join(current, child.name);
      if (child.isDirectory()) {
        if (child.name !== "_templates") await walk(full);
        continue;
      }
      const markdown = /\.md$/i.test(child.name) && child.name.toLowerCase() !== "readme.md";
      if (child.isFile()) {
        if (markdown) out.push(full);
        continue;
      }
      if (!child.isSymbolicLink()) continue;
      const outside = await outsideReason(full, root).catch(() => undefined);
      if (outside !== undefined) {
        const folder = (await stat(full).catch(() => undefined))?.isDirectory() === true;
        if (markdown || folder) skipped.push({ path: full, reason: outside });
        continue;
      }
      // A link to a folder inside the KB is not followed: its files are read at their own paths
      // (and following links can loop). A link to a file inside is read.
      if (markdown && (await isFile(full))) out.push(full);
    }
  }
  await walk(dir);
  return out;
}

/**
 * Reads the KBs in `dirs` (each a KB folder or a folder of KBs). Folders that map to the same KB
 * name are read as one KB, so duplicate ids are caught across them too.
 */
export async function readKbs(dirs: string[], opts: { kb?: string } = {}): Promise<KbRead[]> {
  const byName = new Map<string, KbRead>();
  for (const dir of dirs) {
    for (const kbDir of await findKbDirs(dir)) {
      const { name, notes } = await kbNameOf(kbDir, opts.kb);
      let kb = byName.get(name);
      if (!kb) {
        kb = { name, dirs: [], notes: [], files: 0, entries: [], skipped: [], warnings: [] };
        byName.set(name, kb);
      }
      kb.dirs.push(kbDir);
      kb.notes.push(...notes);
      await readInto(kb, kbDir);
    }
  }
  return [...byName.values()];
}

async function readInto(kb: KbRead, dir: string): Promise<void> {
  const firstPathOf = new Map(kb.entries.map((e) => [e.entry.id, e.path]));
  const root = await realpath(dir);
  const unfollowed: Skipped[] = [];
  const files = await listMarkdownFiles(dir, unfollowed);
  kb.skipped.push(...unfollowed);
  kb.files += unfollowed.length;
  for (const file of files) {
    kb.files++;
    const read = await readKbFile(file, root);
    if (!read.ok) {
      kb.skipped.push({ path: file, reason: read.reason });
      continue;
    }
    const outcome = entryOf(read.text, file);
    if (!outcome.ok) {
      kb.skipped.push({ path: file, reason: outcome.reason });
      continue;
    }
    for (const message of outcome.warnings) kb.warnings.push({ path: file, message });
    const first = firstPathOf.get(outcome.entry.id);
    if (first !== undefined) {
      kb.skipped.push({
        path: file,
        reason: `duplicate id '${outcome.entry.id}': ${first} has it too and is imported`,
      });
      continue;
    }
    firstPathOf.set(outcome.entry.id, file);
    kb.entries.push({ path: file, entry: outcome.entry });
  }
}

/** One file's entry; whatever goes wrong with one file costs only that file. */
function entryOf(text: string, file: string): ReturnType<typeof fileToEntry> {
  try {
    return fileToEntry(text, path.basename(file));
  } catch (err) {
    return { ok: false, reason: `cannot import: ${errorText(err)}` };
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

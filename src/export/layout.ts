/**
 * pyrite's on-disk layout: a KB folder holds `kb.yaml` and one folder per entry type (`person` in
 * `people/`, `concept` in `concepts/`), each entry in `<id>.md`. A kb.yaml may name a type's
 * folder (`types: {person: {subdirectory: people}}`); otherwise the type's plural is used.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";

/** The kb.yaml file name. */
export const KB_FILE = "kb.yaml";

/** Folder names by entry type, as the KB's kb.yaml declares them (empty when it declares none). */
export async function typeFolders(kbDir: string): Promise<Map<string, string>> {
  const folders = new Map<string, string>();
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(path.join(kbDir, KB_FILE), "utf8"));
  } catch {
    // No kb.yaml, or one that cannot be read: the plural rule applies to every type.
    return folders;
  }
  const types: unknown = typeof doc === "object" && doc !== null ? Reflect.get(doc, "types") : null;
  if (typeof types !== "object" || types === null) return folders;
  for (const [type, spec] of Object.entries(types)) {
    const sub: unknown =
      typeof spec === "object" && spec !== null ? Reflect.get(spec, "subdirectory") : undefined;
    if (typeof sub === "string" && safeFolder(sub)) folders.set(type, sub);
  }
  return folders;
}

/** One relative folder name that stays inside the KB (no `..`, no absolute path). */
function safeFolder(name: string): boolean {
  return name !== "" && !path.isAbsolute(name) && !name.split(/[\\/]/).includes("..");
}

const IRREGULAR: Record<string, string> = { person: "people", child: "children", index: "indexes" };

/** pyrite's folder for a type without a declared one: its English plural. */
export function pluralOf(type: string): string {
  const irregular = IRREGULAR[type];
  if (irregular !== undefined) return irregular;
  if (/[^aeiou]y$/.test(type)) return `${type.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(type)) return `${type}es`;
  return `${type}s`;
}

/** The file an entry of `type` with `id` has in the KB folder `kbDir`. */
export function entryPath(
  kbDir: string,
  entry: { id: string; entry_type: string },
  folders: Map<string, string>,
): string {
  const folder = folders.get(entry.entry_type) ?? pluralOf(entry.entry_type);
  return path.join(kbDir, folder, `${entry.id}.md`);
}

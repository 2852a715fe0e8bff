/**
 * Bringing pyrite's names into the API's rules: KB names, entry ids and entry types. A valid
 * value is returned as it is; otherwise each returns the normalized value, or undefined when
 * nothing usable is left.
 */

const KB_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ENTRY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const ENTRY_TYPE = /^[a-z][a-z0-9_-]{0,63}$/;

/** `^[a-z0-9][a-z0-9_-]{0,63}$`, as the API's `kbNameSchema`. */
export function normalizeKbName(raw: string): string | undefined {
  if (KB_NAME.test(raw)) return raw;
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 64)
    .replace(/[-_]+$/, "");
  return name === "" ? undefined : name;
}

/** `^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`, as the API's `entryIdSchema` (case is kept). */
export function normalizeEntryId(raw: string): string | undefined {
  if (ENTRY_ID.test(raw)) return raw;
  const id = raw
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 200)
    .replace(/[-_.]+$/, "");
  return id === "" ? undefined : id;
}

/** `^[a-z][a-z0-9_-]{0,63}$`, as the API's entry_type rule; pyrite's types use `_`. */
export function normalizeEntryType(raw: string): string | undefined {
  if (ENTRY_TYPE.test(raw)) return raw;
  const type = raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .slice(0, 64)
    .replace(/[-_]+$/, "");
  return type === "" ? undefined : type;
}

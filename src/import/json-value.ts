/**
 * Turns what the YAML reader produced into plain JSON values, so a field stored as metadata comes
 * back from the API exactly as it went in.
 */

/** A JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Converts `value`: dates become ISO strings (a date without a time as `YYYY-MM-DD`, as pyrite
 * writes it back), binary becomes base64, non-finite numbers become strings. Anything converted
 * in a way JSON can't express directly is noted in `warnings` under its field path. `value` is
 * acyclic: the YAML reader refuses a structure that contains itself.
 */
export function toJsonValue(value: unknown, path: string, warnings: string[]): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    warnings.push(`${path}: ${String(value)} is not a JSON number; kept as the string`);
    return String(value);
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return isoDate(value);
  if (value instanceof Uint8Array) {
    warnings.push(`${path}: binary value kept as base64`);
    return Buffer.from(value).toString("base64");
  }
  // YAML 1.1's `!!set` and `!!omap` read as a Set and a Map.
  if (Array.isArray(value) || value instanceof Set) {
    return [...value].map((item, i) => toJsonValue(item, `${path}[${i}]`, warnings));
  }
  if (value instanceof Map) return toJsonValue(Object.fromEntries(value), path, warnings);
  if (typeof value === "object") {
    // fromEntries defines own properties, so a `__proto__` key stays data, never a prototype.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        toJsonValue(item, `${path}.${key}`, warnings),
      ]),
    );
  }
  warnings.push(`${path}: a ${typeof value} value cannot be kept; dropped`);
  return null;
}

function isoDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return String(date);
  const iso = date.toISOString();
  // YAML reads `2001-02-13` as midnight UTC: give it back as the date it was.
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
}

/** Field schemas every request shape shares: the names of KBs and entries, and query-string numbers. */
import { z } from "zod";

/** KB names: lowercase, digits, `_` and `-`, starting with a letter or digit. */
export const kbNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "kb must match ^[a-z0-9][a-z0-9_-]{0,63}$");

/** Entry ids: a slug-like token; no slashes, dots-only or control characters. */
export const entryIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/,
    "id must be 1-200 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

/**
 * A whole number from a query string: decimal digits only. `z.coerce.number()` would take
 * "", " ", "1e2" or "0x10" as numbers.
 */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

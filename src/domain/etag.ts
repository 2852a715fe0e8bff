/**
 * Optimistic concurrency for entries: an entry's `ETag` names its version and incarnation, and a
 * write sent with `If-Match` applies only while the entry is still what the client read.
 */
import { ApiError } from "../errors";

/** What identifies one version of one entry: its version and when this incarnation was created. */
export interface VersionOf {
  version: number;
  createdAt: string;
}

/**
 * The entry's strong ETag, `"<version>.<creation ms in base 36>"`. The creation time is part of
 * it because a deleted and re-created entry starts again at version 1: the old tag must not
 * match the new entry.
 */
export function entryEtag(row: VersionOf): string {
  return `"${row.version}.${Date.parse(row.createdAt).toString(36)}"`;
}

/** An `If-Match` header: `*` (the entry must exist) or the tags the client accepts. */
export type IfMatch = "*" | string[];

/**
 * Parses `If-Match` (RFC 9110 §13.1.1): `*`, or a comma-separated list of entity tags. Weak tags
 * (`W/"…"`) never match under the strong comparison If-Match uses, so they are kept as they are.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "*") return "*";
  const tags = value.split(",").map((t) => t.trim());
  if (!tags.every((t) => /^(?:W\/)?"[\x21\x23-\x7e]*"$/.test(t))) {
    throw new ApiError(400, "invalid_request", 'If-Match must be "*" or a list of quoted ETags');
  }
  return tags;
}

/** The 412 for a write whose `If-Match` names another version than `row`'s. */
export function preconditionFailed(row: VersionOf): ApiError {
  return new ApiError(
    412,
    "precondition_failed",
    "the entry changed since the version named in If-Match; read it again and retry",
    { etag: entryEtag(row), version: row.version },
  );
}

/** Throws 412 `precondition_failed` unless `row` is a version `ifMatch` accepts. */
export function checkIfMatch(ifMatch: IfMatch | undefined, row: VersionOf): void {
  if (ifMatch === undefined || ifMatch === "*") return;
  if (!ifMatch.includes(entryEtag(row))) throw preconditionFailed(row);
}

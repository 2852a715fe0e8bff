/** Splits a KB's entries into `POST /api/entries/batch` requests the API will take. */
import { limits } from "../model/limits.js";
import { chunkBySize } from "../shared/chunk.js";

/** Bytes one request may hold: well under the API's 2 MiB, leaving room for the envelope. */
export const BATCH_BYTES = 1.5 * 1024 * 1024;
/** Bytes above which even a request with one entry would be refused (413). */
export const SINGLE_ENTRY_MAX_BYTES = limits.requestBytes - 4 * 1024;

const encoder = new TextEncoder();

/** Bytes of an item as JSON, as it will travel. */
export function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/**
 * Groups items in order into batches of at most `maxEntries` items and `maxBytes` bytes of JSON.
 * An item bigger than `maxBytes` travels alone; the caller has already set aside items that can't
 * travel at all (over SINGLE_ENTRY_MAX_BYTES).
 */
export function planRequests<T>(
  items: T[],
  size: (item: T) => number,
  maxEntries: number = limits.batchEntries,
  maxBytes: number = BATCH_BYTES,
): T[][] {
  // +1: the comma between items in the JSON array.
  return chunkBySize(items, (item) => size(item) + 1, maxBytes, maxEntries);
}

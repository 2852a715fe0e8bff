/**
 * Vectorize ids of passages: a passage is addressed by its KB, entry, model and seq (its place in
 * the entry's set), which together run far past Vectorize's 64-byte id limit, so the id is their
 * SHA-256 in hex: exactly 64 bytes. The same passage always gets the same id, which makes every
 * upsert idempotent; the address travels in the vector's metadata.
 */
import { sha256Hex } from "../passages/hash.js";

/** The Vectorize id of the passage at `seq` of an entry's set of `model`. */
export function passageId(
  kbName: string,
  entryId: string,
  model: string,
  seq: number,
): Promise<string> {
  return sha256Hex(JSON.stringify([kbName, entryId, model, seq]));
}

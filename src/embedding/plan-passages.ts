/**
 * The passages of an entry as the pipeline embeds them: split, content-addressed under the model,
 * and compared with the vectors already stored for the entry, so only new addresses are embedded.
 */
import { passageHash } from "../passages/hash";
import { type Passage, passageInput, splitEntry } from "../passages/split";
import type { StoredVector } from "../storage/embeddings";
import type { EmbedSource } from "../storage/queue-claim";

/** A passage with its address. */
export interface AddressedPassage extends Passage {
  hash: string;
}

/** How one entry is to be embedded. */
export interface PassagePlan {
  passages: AddressedPassage[];
  /** Distinct addresses with no stored vector, in order, with the text to embed. */
  missing: { hash: string; input: string }[];
  /** Addresses whose stored vector was computed before the entry was queued (kept from an
   * earlier version); the others were embedded for this version. */
  older: Set<string>;
  /** Addresses whose stored vector was cut at the window. */
  truncated: Set<string>;
}

/** Split settings that change the passages (and so are part of the memo key). */
export interface PlanOptions {
  model: string;
  windowTokens: number;
  tokensPerWord: number | undefined;
  passages: boolean;
}

/** Entries this large are split once per version, not once per batch they take part in. */
const MEMO_MIN_PASSAGES = 32;
const MEMO_SIZE = 8;
const memo = new Map<string, AddressedPassage[]>();

/** The entry's passages with their addresses (memoized for huge entries, which span batches). */
export async function addressedPassages(
  entry: EmbedSource,
  options: PlanOptions,
): Promise<AddressedPassage[]> {
  const key = [
    entry.kbName,
    entry.id,
    entry.contentHash,
    options.model,
    options.windowTokens,
    options.tokensPerWord,
    options.passages,
  ].join("\u0000");
  const known = memo.get(key);
  if (known) return known;
  const split = splitEntry(entry, {
    windowTokens: options.windowTokens,
    tokensPerWord: options.tokensPerWord,
    passages: options.passages,
  });
  const passages = await Promise.all(
    split.map(async (p) => ({ ...p, hash: await passageHash(options.model, p) })),
  );
  if (passages.length >= MEMO_MIN_PASSAGES) {
    memo.set(key, passages);
    for (const old of memo.keys()) {
      if (memo.size <= MEMO_SIZE) break;
      memo.delete(old);
    }
  }
  return passages;
}

/** What to embed for an entry, given the vectors stored for it and when it was queued. */
export function planPassages(
  passages: AddressedPassage[],
  stored: StoredVector[],
  queuedAt: number,
): PassagePlan {
  const have = new Map(stored.map((v) => [v.hash, v]));
  const missing: PassagePlan["missing"] = [];
  const seen = new Set<string>();
  const older = new Set<string>();
  const truncated = new Set<string>();
  for (const passage of passages) {
    const vector = have.get(passage.hash);
    if (vector) {
      if (vector.createdAt < queuedAt) older.add(passage.hash);
      if (vector.truncated) truncated.add(passage.hash);
    } else if (!seen.has(passage.hash)) {
      seen.add(passage.hash);
      missing.push({ hash: passage.hash, input: passageInput(passage) });
    }
  }
  return { passages, missing, older, truncated };
}

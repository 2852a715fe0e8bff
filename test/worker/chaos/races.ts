/**
 * Concurrent writes to one entry (PATCHes of different fields, PUTs, batch upserts), checked
 * against every order in which they could have been applied: what D1 holds, and what each write
 * answered, must be the result of one serial order of all the acknowledged writes. A change that
 * was answered 200 and then silently overwritten fits no order.
 */

import type { BulkWriteResult, EntryWriteResult } from "../../../src/shared/api-types";
import { appSend as send } from "../app-fetch";
import type { StoredEntry } from "./invariants";
import type { Rng } from "./prng";

/** The fields the races write. */
export type Fields = Omit<StoredEntry, "hash" | "version">;

type Replacement = Pick<Fields, "title" | "body"> & Partial<Pick<Fields, "tags" | "importance">>;

/** One write of a race. PUT and a batch upsert both replace the whole entry. */
export type RaceWrite =
  | { kind: "patch"; fields: Partial<Fields> }
  | { kind: "put" | "batch"; fields: Replacement };

/** What a write answered: its status, and the entry (PATCH, PUT) or whether it wrote (batch). */
export interface RaceAnswer {
  status: number;
  entry?: Fields & { version: number };
  wrote: boolean;
}

/** The entry after `w`, as the API defines it (a replacement resets omitted fields). */
function apply(state: Fields, w: RaceWrite): Fields {
  if (w.kind === "patch") return { ...state, ...w.fields };
  return {
    title: w.fields.title,
    body: w.fields.body,
    tags: w.fields.tags ?? [],
    importance: w.fields.importance ?? 5,
  };
}

function same(a: Fields, b: Fields): boolean {
  return (
    a.title === b.title &&
    a.body === b.body &&
    a.importance === b.importance &&
    JSON.stringify(a.tags) === JSON.stringify(b.tags)
  );
}

/** 2 to 4 random writes to one entry; `text` draws a random text. */
export function drawRace(rng: Rng, text: () => string, words: readonly string[]): RaceWrite[] {
  const tags = () => Array.from({ length: rng.int(0, 3) }, () => rng.pick(words));
  const replacement = (): Replacement => ({
    title: text(),
    body: text(),
    ...(rng.chance(0.5) ? { tags: tags() } : {}),
    ...(rng.chance(0.5) ? { importance: rng.int(1, 10) } : {}),
  });
  const draws = {
    tags: (): RaceWrite => ({ kind: "patch", fields: { tags: tags() } }),
    importance: (): RaceWrite => ({ kind: "patch", fields: { importance: rng.int(1, 10) } }),
    body: (): RaceWrite => ({ kind: "patch", fields: { body: text() } }),
    titleTags: (): RaceWrite => ({ kind: "patch", fields: { title: text(), tags: tags() } }),
    put: (): RaceWrite => ({ kind: "put", fields: replacement() }),
    batch: (): RaceWrite => ({ kind: "batch", fields: replacement() }),
  };
  const weights = { tags: 3, importance: 3, body: 2, titleTags: 1, put: 2, batch: 2 };
  return Array.from({ length: rng.int(2, 4) }, () => draws[rng.weighted(weights)]());
}

/** Sends every write at once and collects the answers. */
export async function runRace(kb: string, id: string, writes: RaceWrite[]): Promise<RaceAnswer[]> {
  const path = `/api/entries/${id}?kb=${kb}`;
  return Promise.all(
    writes.map(async (w): Promise<RaceAnswer> => {
      if (w.kind === "batch") {
        const res = await send("POST", "/api/entries/batch", {
          kb,
          mode: "upsert",
          entries: [{ id, ...w.fields }],
        });
        const body = await res.json<Partial<BulkWriteResult>>();
        return { status: res.status, wrote: body.updated === 1 };
      }
      const res = await send(w.kind === "put" ? "PUT" : "PATCH", path, w.fields);
      const body = await res.json<Partial<EntryWriteResult>>();
      return { status: res.status, entry: body.entry, wrote: true };
    }),
  );
}

function* permutations(n: number, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === n) {
    yield prefix;
    return;
  }
  for (let i = 0; i < n; i++) if (!prefix.includes(i)) yield* permutations(n, [...prefix, i]);
}

/**
 * Null if some serial order of the writes explains both what D1 holds after the race and what
 * every write answered (its fields and its version); otherwise what went wrong.
 */
export function raceProblem(
  before: StoredEntry,
  writes: RaceWrite[],
  answers: RaceAnswer[],
  after: StoredEntry,
): string | null {
  const refused = answers.findIndex((a) => a.status !== 200);
  if (refused >= 0) return `write ${refused} answered ${answers[refused]?.status}`;
  const wrote = answers.filter((a) => a.wrote).length;
  if (after.version !== before.version + wrote) {
    return `version ${after.version} after ${wrote} writes to version ${before.version}`;
  }
  for (const order of permutations(writes.length)) {
    let state: Fields = before;
    let version = before.version;
    const fits = order.every((i) => {
      const w = writes[i];
      const answer = answers[i];
      if (!w || !answer) return false;
      const next = apply(state, w);
      // A batch that wrote nothing found the entry already as it asked.
      if (!answer.wrote && !same(next, state)) return false;
      if (answer.wrote) version++;
      state = next;
      return (
        answer.entry === undefined ||
        (same(answer.entry, state) && answer.entry.version === version)
      );
    });
    if (fits && same(state, after)) return null;
  }
  return (
    `no serial order of the ${writes.length} acknowledged writes gives what D1 holds: ` +
    `${JSON.stringify(writes)} from ${JSON.stringify(before)} → ${JSON.stringify(after)}`
  );
}

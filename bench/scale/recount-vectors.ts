/**
 * The fake Vectorize recounted against D1 after a drain: every passage of every committed set
 * (`entry_passages`) must have exactly one vector, under the id the VectorStore port gives it
 * (`passageId`) and with its address in the metadata, and the index must hold no vector of a
 * passage D1 no longer has (a deleted entry's, or a replaced set's place past its new end).
 */
import { passageId } from "../../src/vectors/passage-id.js";
import type { FakeVectorizeReport } from "../../test/support/fake-vectorize-types.js";
import type { BenchDb } from "./launch.js";

/** The index against D1. */
export interface VectorRecount {
  /** Committed passages in D1, and vectors in the index. */
  passages: number;
  vectors: number;
  /** Committed passages without a vector (lost). */
  missing: number;
  /** Vectors of no committed passage (a deleted or replaced passage left behind). */
  stale: number;
  /** Vectors under a passage's id whose metadata names another passage. */
  misaddressed: number;
  /** Passages with more than one vector (by the address in the metadata). */
  duplicated: number;
  /** Mutations not yet applied when the drain ended (applied before recounting). */
  pendingMutations: number;
  /** Calls the index received, by operation. */
  calls: Record<string, number>;
}

interface PassageRow {
  kb_name: string;
  entry_id: string;
  model: string;
  seq: number;
}

const addressOf = (kb: unknown, entry: unknown, model: unknown, seq: unknown) =>
  JSON.stringify([kb, entry, model, seq]);

/** Recounts the index (`report`) against D1's committed passages. */
export async function recountVectors(
  db: BenchDb,
  report: FakeVectorizeReport,
): Promise<VectorRecount> {
  const { results } = await db
    .prepare("SELECT kb_name, entry_id, model, seq FROM entry_passages")
    .all<PassageRow>();
  const expected = new Map<string, string>();
  for (const p of results) {
    const id = await passageId(p.kb_name, p.entry_id, p.model, p.seq);
    expected.set(id, addressOf(p.kb_name, p.entry_id, p.model, p.seq));
  }
  const stored = new Set<string>();
  const perAddress = new Map<string, number>();
  let stale = 0;
  let misaddressed = 0;
  for (const v of report.vectors) {
    stored.add(v.id);
    const address = addressOf(v.kb, v.entry, v.model, v.seq);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    const want = expected.get(v.id);
    if (want === undefined) stale++;
    else if (want !== address) misaddressed++;
  }
  let missing = 0;
  for (const id of expected.keys()) if (!stored.has(id)) missing++;
  return {
    passages: expected.size,
    vectors: report.vectors.length,
    missing,
    stale,
    misaddressed,
    duplicated: [...perAddress.values()].filter((n) => n > 1).length,
    pendingMutations: report.pending,
    calls: report.calls,
  };
}

/** Whether the index matches D1 exactly. */
export function vectorsExact(r: VectorRecount): boolean {
  return (
    r.missing === 0 &&
    r.stale === 0 &&
    r.misaddressed === 0 &&
    r.duplicated === 0 &&
    r.vectors === r.passages
  );
}

/**
 * Compares two KBs' entries field by field, ignoring the KB name and the service's timestamps:
 * what "lossless" means for import → export → import.
 */
import type { Entry } from "../shared/api-types.js";
import { contentOfEntry, type EntryContent } from "../sync/fingerprint.js";

/** One difference: the entry, the field and both values (as JSON, cut short). */
export interface EntryDifference {
  id: string;
  field: keyof EntryContent | "presence";
  a: string;
  b: string;
}

/** The differences between `a` and `b` (empty when the KBs hold the same entries). */
export function diffEntries(a: Entry[], b: Entry[]): EntryDifference[] {
  const byId = new Map(b.map((e) => [e.id, e]));
  const out: EntryDifference[] = [];
  for (const left of a) {
    const right = byId.get(left.id);
    byId.delete(left.id);
    if (!right) {
      out.push({ id: left.id, field: "presence", a: "present", b: "missing" });
      continue;
    }
    const l = contentOfEntry(left);
    const r = contentOfEntry(right);
    for (const field of Object.keys(l) as (keyof EntryContent)[]) {
      const x = JSON.stringify(l[field]);
      const y = JSON.stringify(r[field]);
      // Metadata key order is not content: compare it as the sync's fingerprint does.
      const same = field === "metadata" ? sameJson(l.metadata, r.metadata) : x === y;
      if (!same) out.push({ id: left.id, field, a: x.slice(0, 200), b: y.slice(0, 200) });
    }
  }
  for (const id of byId.keys()) out.push({ id, field: "presence", a: "missing", b: "present" });
  return out;
}

function sameJson(x: unknown, y: unknown): boolean {
  if (Array.isArray(x) || Array.isArray(y)) {
    return (
      Array.isArray(x) &&
      Array.isArray(y) &&
      x.length === y.length &&
      x.every((item, i) => sameJson(item, y[i]))
    );
  }
  if (typeof x === "object" && x !== null && typeof y === "object" && y !== null) {
    const kx = Object.keys(x).sort();
    const ky = Object.keys(y).sort();
    return (
      JSON.stringify(kx) === JSON.stringify(ky) &&
      kx.every((k) => sameJson(Reflect.get(x, k), Reflect.get(y, k)))
    );
  }
  return x === y;
}

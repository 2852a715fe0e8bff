/**
 * The arrays behind the in-isolate vector index: each passage vector as 1-bit sign codes (one bit
 * per dimension, 48 bytes at 384 dims: 1/32 of float32, 1/8 of int8), grouped by entry so an
 * entry's passage set can be replaced or dropped whole. Codes only pre-select: `candidates`
 * ranks by Hamming distance to the query's code, and the index rescores the best few hundred
 * with their exact float32 vectors read from D1. That keeps 500k passage vectors in ≈ 30 MiB of
 * a Worker's 128 MB. Pure memory, no I/O.
 */
import { entryKey, splitEntryKey } from "../storage/entry-keys.js";

/** A passage's place: its entry and its seq in the entry's committed set. */
export interface PassageKey {
  kbName: string;
  entryId: string;
  seq: number;
}

interface EntrySlots {
  kbId: number;
  /** `embedded_at` of the set held: a row of an older set is ignored, a newer one replaces it. */
  setAt: number;
  /** Slot of each passage, by seq. */
  slots: number[];
  /** Passages held. */
  count: number;
}

const FREE = -1;

/** The sign code of a vector: bit d set when component d is positive. */
export function signCode(vector: Float32Array, words: number): Uint32Array {
  const code = new Uint32Array(words);
  for (let d = 0; d < vector.length; d++) {
    if ((vector[d] as number) > 0) code[d >>> 5] = (code[d >>> 5] as number) | (1 << (d & 31));
  }
  return code;
}

export class BinaryCodes {
  private dims = 0;
  private words = 0;
  /** Slots ever used (live or free). */
  private high = 0;
  private live = 0;
  private codes = new Uint32Array(0);
  private entryOfSlot = new Int32Array(0);
  private seqOfSlot = new Int32Array(0);
  private readonly free: number[] = [];
  private readonly entryIds = new Map<string, number>();
  private readonly entryKeys: string[] = [];
  private readonly entries: EntrySlots[] = [];
  private readonly kbIds = new Map<string, number>();
  /** Entries holding at least one passage, per KB id. */
  private readonly kbEntries: number[] = [];

  /** Passages held. */
  get passages(): number {
    return this.live;
  }

  /** Bytes held by the per-passage arrays (codes, entry and seq of each slot). */
  get bytes(): number {
    return this.codes.byteLength + this.entryOfSlot.byteLength + this.seqOfSlot.byteLength;
  }

  /** Entries with passages in one KB (or all). */
  entriesIn(kbName?: string): number {
    if (kbName === undefined) return this.kbEntries.reduce((sum, n) => sum + n, 0);
    const kbId = this.kbIds.get(kbName);
    return kbId === undefined ? 0 : (this.kbEntries[kbId] ?? 0);
  }

  /** Adds or replaces one passage of an entry's set committed at `setAt`. */
  put(kbName: string, entryId: string, seq: number, setAt: number, vector: Float32Array): void {
    if (this.dims === 0) {
      this.dims = vector.length;
      this.words = Math.ceil(vector.length / 32);
    }
    if (vector.length !== this.dims) return;
    const id = this.entryFor(kbName, entryId, setAt);
    const entry = this.entries[id] as EntrySlots;
    if (entry.setAt > setAt) return;
    if (entry.setAt < setAt) {
      this.release(entry);
      entry.setAt = setAt;
    }
    let slot = entry.slots[seq];
    if (slot === undefined) {
      slot = this.allocate();
      if (entry.count === 0) this.kbEntries[entry.kbId] = (this.kbEntries[entry.kbId] ?? 0) + 1;
      entry.count++;
      entry.slots[seq] = slot;
      this.entryOfSlot[slot] = id;
      this.seqOfSlot[slot] = seq;
      this.live++;
    }
    this.codes.set(signCode(vector, this.words), slot * this.words);
  }

  /** Drops an entry's passages if the set held is no newer than `setAt` (the set that went). */
  drop(kbName: string, entryId: string, setAt: number): void {
    const id = this.entryIds.get(entryKey(kbName, entryId));
    const entry = id === undefined ? undefined : this.entries[id];
    if (entry && entry.setAt <= setAt) this.release(entry);
  }

  /**
   * The `n` passages whose codes are nearest the query's (fewest differing signs), nearest
   * first; ties at the cut are taken in slot order.
   */
  candidates(query: Float32Array, n: number, kbName?: string): PassageKey[] {
    if (query.length !== this.dims || n <= 0) return [];
    const kbFilter = kbName === undefined ? -1 : (this.kbIds.get(kbName) ?? -2);
    if (kbFilter === -2) return [];
    const words = this.words;
    const q = signCode(query, words);
    const codes = this.codes;
    // Distances are small integers (0..dims): one pass computes them and counts each value, and
    // the histogram gives the cut, with no sort of all passages.
    const distance = new Uint16Array(this.high);
    const histogram = new Uint32Array(this.dims + 2);
    const skip = this.dims + 1;
    for (let slot = 0; slot < this.high; slot++) {
      const entryId = this.entryOfSlot[slot] as number;
      if (entryId === FREE || (kbFilter >= 0 && this.entries[entryId]?.kbId !== kbFilter)) {
        distance[slot] = skip;
        continue;
      }
      let d = 0;
      const base = slot * words;
      for (let w = 0; w < words; w++) {
        // Bits set in the XOR, by halving sums (SWAR): no memory access, unlike a table.
        let x = (codes[base + w] as number) ^ (q[w] as number);
        x -= (x >>> 1) & 0x55555555;
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        d += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      distance[slot] = d;
      histogram[d] = (histogram[d] as number) + 1;
    }
    let cut = 0;
    let taken = 0;
    while (cut <= this.dims && taken + (histogram[cut] as number) < n) {
      taken += histogram[cut] as number;
      cut++;
    }
    // Everything nearer than `cut`, then as many at `cut` as fit.
    const byDistance: number[][] = Array.from({ length: cut + 1 }, () => []);
    let room = n - taken;
    for (let slot = 0; slot < this.high; slot++) {
      const d = distance[slot] as number;
      if (d === skip) continue;
      if (d < cut) (byDistance[d] as number[]).push(slot);
      else if (d === cut && room > 0) {
        (byDistance[d] as number[]).push(slot);
        room--;
      }
    }
    return byDistance.flat().map((slot) => this.keyOf(slot));
  }

  private keyOf(slot: number): PassageKey {
    const { kbName, id } = splitEntryKey(this.entryKeys[this.entryOfSlot[slot] ?? 0] ?? "");
    return {
      kbName,
      entryId: id,
      seq: this.seqOfSlot[slot] ?? 0,
    };
  }

  private entryFor(kbName: string, entryId: string, setAt: number): number {
    const key = entryKey(kbName, entryId);
    const known = this.entryIds.get(key);
    if (known !== undefined) return known;
    let kbId = this.kbIds.get(kbName);
    if (kbId === undefined) {
      kbId = this.kbIds.size;
      this.kbIds.set(kbName, kbId);
      this.kbEntries.push(0);
    }
    const id = this.entries.length;
    this.entryIds.set(key, id);
    this.entryKeys.push(key);
    this.entries.push({ kbId, setAt, slots: [], count: 0 });
    return id;
  }

  private release(entry: EntrySlots): void {
    if (entry.count > 0) this.kbEntries[entry.kbId] = (this.kbEntries[entry.kbId] ?? 1) - 1;
    entry.count = 0;
    for (const slot of entry.slots) {
      if (slot === undefined) continue;
      this.entryOfSlot[slot] = FREE;
      this.free.push(slot);
      this.live--;
    }
    entry.slots = [];
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.high++;
    if (this.high > this.entryOfSlot.length) this.grow(this.high);
    return slot;
  }

  private grow(needed: number): void {
    const capacity = Math.max(needed, Math.ceil(this.entryOfSlot.length * 1.5), 1024);
    const codes = new Uint32Array(capacity * this.words);
    codes.set(this.codes);
    this.codes = codes;
    const entries = new Int32Array(capacity).fill(FREE);
    entries.set(this.entryOfSlot);
    this.entryOfSlot = entries;
    const seqs = new Int32Array(capacity);
    seqs.set(this.seqOfSlot);
    this.seqOfSlot = seqs;
  }
}

/**
 * Seeded random interleavings of writes (create, replace, patch, delete) with the embedding loop:
 * alarm runs, synchronous batches, batches held at the embedder while writes race them, evictions
 * mid-batch, a second (sync-mode) worker stealing expired leases, and embedder faults switched on
 * and off, and races of concurrent writes to one entry (see races.ts). A model of what every
 * write answered is checked against D1, field by field, after every step.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import type { EntryWriteResult } from "../../../src/shared/api-types";
import { entryKey } from "../../../src/storage/entry-keys";
import { appFetch as api, appSend as send } from "../app-fetch";
import {
  controlEmbedder,
  embedderStats,
  expireLeases,
  makeDue,
  resetEmbedder,
  until,
} from "../helpers";
import { parkAlarm, releaseEmbedder, runAlarm, startAlarm, untilHeld } from "./driver";
import { alwaysViolations, type StoredEntry, storedEntries } from "./invariants";
import type { Rng } from "./prng";
import { drawRace, type Fields, raceProblem, runRace } from "./races";
import { syncSend } from "./sync-app";

/** What the writes so far say a KB holds: id → its fields and content hash. */
type Model = Map<string, Fields & { hash: string }>;

const WORDS = [
  "alpha",
  "beta",
  "gamma",
  "delta",
  "river",
  "stone",
  "cloud",
  "ember",
  "quartz",
  "willow",
  "harbor",
  "signal",
  "lantern",
  "meadow",
  "cipher",
  "orbit",
  "glacier",
  "pyrite",
] as const;

type WriteOp = "create" | "put" | "patchText" | "patchTags" | "delete" | "syncPut";
type LoopOp =
  | "race"
  | "burst"
  | "alarm"
  | "processNow"
  | "held"
  | "evict"
  | "steal"
  | "fault"
  | "retryFailed";

const writeWeights: Record<WriteOp, number> = {
  create: 4,
  put: 2,
  patchText: 2,
  patchTags: 1,
  delete: 2,
  syncPut: 1,
};
const stepWeights: Record<WriteOp | LoopOp, number> = {
  ...writeWeights,
  race: 2,
  burst: 1.5,
  alarm: 6,
  processNow: 1,
  held: 2.5,
  evict: 1,
  steal: 1,
  fault: 3,
  retryFailed: 0.5,
};

/** One seeded run over its own KB. */
export class Interleaving {
  readonly model: Model = new Map();
  readonly log: string[] = [];
  private readonly ids: string[];

  constructor(
    private readonly rng: Rng,
    readonly kb: string,
    idPool = 10,
  ) {
    this.ids = Array.from({ length: idPool }, (_, i) => `e${i}`);
  }

  /** A random text; some carry the word the `failTexts` fault poisons. */
  private text(): string {
    const words: string[] = Array.from({ length: this.rng.int(1, 12) }, () => this.rng.pick(WORDS));
    if (this.rng.chance(0.12)) words.push("poison");
    return words.join(" ");
  }

  private fail(message: string): never {
    const steps = this.log.join("\n    ");
    throw new Error(
      `chaos seed ${this.rng.seed} (kb ${this.kb}): ${message}\n  steps:\n    ${steps}`,
    );
  }

  private async expectStatus<T = unknown>(res: Response, want: number, what: string): Promise<T> {
    const body = await res.json<T>();
    if (res.status !== want) {
      this.fail(`${what}: expected ${want}, got ${res.status} ${JSON.stringify(body)}`);
    }
    return body;
  }

  /** Records a successful write's answer in the model and checks what it says about embedding. */
  private applyWrite(
    { entry, embedding }: EntryWriteResult,
    previous: string | undefined,
    what: string,
    sync = false,
  ) {
    const changed = entry.content_hash !== previous;
    const wanted = !changed
      ? ["unchanged"]
      : sync
        ? ["embedded", "queued_after_error"]
        : ["queued"];
    if (!wanted.includes(embedding.status)) {
      this.fail(`${what}: embedding ${embedding.status}, expected ${wanted.join(" or ")}`);
    }
    this.model.set(entry.id, {
      title: entry.title,
      body: entry.body,
      tags: entry.tags,
      importance: entry.importance,
      hash: entry.content_hash,
    });
  }

  /** One random write against the KB; the answer must match the model exactly. */
  async write(op: WriteOp, id = this.rng.pick(this.ids)): Promise<void> {
    const known = this.model.get(id);
    const path = `/api/entries/${id}?kb=${this.kb}`;
    const what = `${op} ${id}`;
    this.log.push(what);
    switch (op) {
      case "create": {
        const res = await send("POST", "/api/entries", {
          kb: this.kb,
          id,
          title: this.text(),
          body: this.text(),
        });
        if (known) await this.expectStatus(res, 409, what);
        else
          this.applyWrite(
            await this.expectStatus<EntryWriteResult>(res, 201, what),
            undefined,
            what,
          );
        return;
      }
      case "put":
      case "syncPut": {
        // Sometimes the very same text: an update that must enqueue nothing.
        const same = known !== undefined && this.rng.chance(0.25);
        const fields = same
          ? { title: known.title, body: known.body }
          : { title: this.text(), body: this.text() };
        const res =
          op === "put" ? await send("PUT", path, fields) : await syncSend("PUT", path, fields);
        if (!known) await this.expectStatus(res, 404, what);
        else
          this.applyWrite(
            await this.expectStatus<EntryWriteResult>(res, 200, what),
            known.hash,
            what,
            op === "syncPut",
          );
        return;
      }
      case "patchText": {
        const res = await send("PATCH", path, { body: this.text() });
        if (!known) await this.expectStatus(res, 404, what);
        else
          this.applyWrite(
            await this.expectStatus<EntryWriteResult>(res, 200, what),
            known.hash,
            what,
          );
        return;
      }
      case "patchTags": {
        const res = await send("PATCH", path, { tags: [this.rng.pick(WORDS)] });
        if (!known) await this.expectStatus(res, 404, what);
        else
          this.applyWrite(
            await this.expectStatus<EntryWriteResult>(res, 200, what),
            known.hash,
            what,
          );
        return;
      }
      case "delete": {
        const res = await api(path, { method: "DELETE" });
        await this.expectStatus(res, known ? 200 : 404, what);
        this.model.delete(id);
        return;
      }
    }
  }

  /** The entry as D1 holds it now. */
  private async stored(id: string): Promise<StoredEntry | undefined> {
    return (await storedEntries([this.kb])).get(entryKey(this.kb, id));
  }

  /**
   * Concurrent PATCHes, PUTs and batch upserts of one existing entry: every one must be answered
   * 200, and D1 must hold what some serial order of them gives, with no field of any lost.
   * Returns the number of writes raced.
   */
  async race(id = this.rng.pick(this.ids)): Promise<number> {
    if (!this.model.has(id)) await this.write("create", id);
    const writes = drawRace(this.rng, () => this.text(), WORDS);
    this.log.push(
      `race ${id}: ${writes.map((w) => `${w.kind} ${Object.keys(w.fields)}`).join(" | ")}`,
    );
    const before = await this.stored(id);
    if (!before) this.fail(`race ${id}: the entry is missing before the race`);
    const answers = await runRace(this.kb, id, writes);
    const after = await this.stored(id);
    if (!after) this.fail(`race ${id}: the entry is missing after the race`);
    const problem = raceProblem(before, writes, answers, after);
    if (problem) this.fail(`race ${id}: ${problem}`);
    const { version: _v, ...fields } = after;
    this.model.set(id, fields);
    return writes.length;
  }

  /**
   * Writes to distinct entries at once. Every random draw of a write happens before its first
   * await, so starting them in order keeps the run reproducible.
   */
  private async burst(): Promise<void> {
    const ids = [...this.ids];
    for (let i = ids.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
    }
    ids.length = this.rng.int(2, 6);
    this.log.push(`burst of ${ids.length}:`);
    await Promise.all(ids.map((id) => this.write(this.rng.weighted(writeWeights), id)));
  }

  private async randomWrites(min: number, max: number): Promise<void> {
    const n = this.rng.int(min, max);
    for (let i = 0; i < n; i++) await this.write(this.rng.weighted(writeWeights));
  }

  /** Holds a batch at the embedder, races writes against it, then lets it go (or evicts it). */
  private async heldBatch(mode: "release" | "evict" | "steal"): Promise<void> {
    await controlEmbedder({ block: true });
    const run = startAlarm();
    const held = await untilHeld(run);
    this.log.push(`  batch ${held ? "held" : "had nothing to claim"}`);
    await this.randomWrites(mode === "release" ? 1 : 0, 4);
    if (this.rng.chance(0.3)) await this.race();
    // Evicted, the old instance's batch may still finish here: with its lease expired first, it
    // is a late worker whose commit the lease guard must refuse.
    const expireFirst = mode === "evict" && this.rng.chance(0.5);
    if (mode === "evict") {
      await abortAllDurableObjects();
      this.log.push(`  evicted${expireFirst ? ", leases expired" : ""}`);
      if (expireFirst) await expireLeases();
    }
    if (mode === "steal") {
      // The held claims' leases run out; a second worker takes and finishes those rows.
      await expireLeases();
      const res = await syncSend("POST", "/api/index/embed", { limit: 64 });
      await this.expectStatus(res, 200, "steal: sync batch");
    }
    await releaseEmbedder();
    const error = await run.result;
    if (mode === "evict" && held && error === null) this.fail("an evicted alarm run succeeded");
    if (mode !== "evict" && error !== null) this.fail(`alarm run failed: ${String(error)}`);
    if (mode === "evict") {
      await until(async () => (await embedderStats()).waiting === 0, "held calls to finish");
      await expireLeases();
    }
    await parkAlarm();
  }

  private async fault(): Promise<void> {
    const kind = this.rng.pick(["healthy", "rate", "nan", "dims", "texts", "slow"] as const);
    this.log.push(`fault ${kind}`);
    await resetEmbedder();
    if (kind === "rate") await controlEmbedder({ failRate: 0.3, seed: this.rng.int(1, 1e9) });
    if (kind === "nan") await controlEmbedder({ nan: true });
    if (kind === "dims") await controlEmbedder({ wrongDims: true });
    if (kind === "texts") await controlEmbedder({ failTexts: ["poison"] });
    if (kind === "slow") await controlEmbedder({ delayMs: this.rng.int(5, 40) });
  }

  /** One random step. */
  async step(): Promise<void> {
    const op = this.rng.weighted(stepWeights);
    switch (op) {
      case "alarm":
        if (this.rng.chance(0.8)) await makeDue();
        this.log.push("alarm");
        await runAlarm();
        return;
      case "processNow": {
        this.log.push("processNow");
        await this.expectStatus(await send("POST", "/api/index/embed", {}), 200, "processNow");
        await parkAlarm();
        return;
      }
      case "held":
      case "evict":
      case "steal":
        this.log.push(op);
        await this.heldBatch(op === "held" ? "release" : op);
        return;
      case "fault":
        await this.fault();
        return;
      case "burst":
        await this.burst();
        return;
      case "race":
        await this.race();
        return;
      case "retryFailed":
        this.log.push("retryFailed");
        await this.expectStatus(
          await send("POST", "/api/index/embed/retry-failed", { kb: this.kb }),
          200,
          "retry-failed",
        );
        await parkAlarm();
        return;
      default:
        await this.write(op);
    }
  }

  /** Fails (with the seed and the steps so far) unless D1 holds what the model and the invariants say. */
  async check(): Promise<void> {
    const problems = await alwaysViolations(this.kb);
    const stored = await storedEntries([this.kb]);
    for (const [id, want] of this.model) {
      const key = `${this.kb}/${id}`;
      const got = stored.get(entryKey(this.kb, id));
      const { version: _v, ...fields } = got ?? { version: 0 };
      if (JSON.stringify(fields) !== JSON.stringify(want)) {
        problems.push(
          `lost write: ${key} is ${JSON.stringify(fields)}, not ${JSON.stringify(want)}`,
        );
      }
    }
    for (const key of stored.keys()) {
      if (!this.model.has(key.slice(this.kb.length + 1))) {
        problems.push(`entry that should not exist: ${key}`);
      }
    }
    if (problems.length > 0) this.fail(problems.join("; "));
  }
}

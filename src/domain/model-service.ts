/**
 * Changing the embedding model without losing search: start a shadow migration (or estimate one),
 * roll back to the previous model, free a kept set, and adopt the model a server started with.
 * The work itself runs in the EmbedWorker (embedding/migration.ts); this only changes what it
 * works on, and announces switches.
 */
import type { Settings } from "../config";
import { fingerprintKey } from "../embedder/types";
import { estimateMigration } from "../embedding/estimate";
import { switchedMessage } from "../embedding/migration";
import { readMigrationStatus } from "../embedding/migration-status";
import { embedderFor, modelIdOf, resolveServing } from "../embedding/serving";
import { ApiError } from "../errors";
import type { ModelSource } from "../select-embedder";
import type {
  AdoptResult,
  DropModelResult,
  MigrateResult,
  MigrationEstimate,
  MigrationStatus,
  RollbackResult,
} from "../shared/api-types";
import type { Db } from "../storage/db";
import {
  dropModel,
  ensureServing,
  readIndexModels,
  rollbackTo,
  setSwitchAt,
  startMigration,
} from "../storage/index-models";
import { type IndexWorker, requireWorker } from "./index-worker";

export interface ModelDeps {
  db: Db;
  settings: Settings;
  models: ModelSource;
  /** The EmbedWorker, or null where none runs (a migration needs one). */
  worker: IndexWorker | null;
  now?: () => number;
}

export class ModelService {
  private readonly now: () => number;

  constructor(private readonly deps: ModelDeps) {
    this.now = deps.now ?? Date.now;
  }

  status(kb?: string): Promise<MigrationStatus> {
    return readMigrationStatus(this.deps.db, this.deps.models, kb, this.now());
  }

  /** Estimates a migration to `model` (of one KB, or all), embedding a sample here. */
  async estimate(model: string, kb?: string): Promise<MigrationEstimate> {
    const embedder = await this.deps.models.load(model);
    return estimateMigration(this.deps.db, embedder, {
      kb,
      passages: this.deps.settings.embedPassages,
      batchSize: this.deps.settings.batchSize,
      clock: Date.now,
    });
  }

  /** Starts (or retunes) a shadow migration to `model`. */
  async migrate(model: string, switchAt: number): Promise<MigrateResult> {
    const worker = this.requireWorker();
    const info = await (await this.deps.models.load(model)).info();
    const key = fingerprintKey(info.model);
    const { db } = this.deps;
    const serving = await resolveServing(db, this.deps.models);
    if (key === serving.model) {
      throw new ApiError(409, "already_serving", `${key} already serves search`);
    }
    const target = serving.models.target;
    if (target && target.model !== key) {
      throw new ApiError(
        409,
        "migration_in_progress",
        `a migration to ${target.model} is running: let it finish, roll back, or drop-model it first`,
        { target: target.model },
      );
    }
    const now = this.now();
    let queued = 0;
    if (target) await setSwitchAt(db, key, switchAt);
    else {
      await ensureServing(db, serving.model, now);
      queued = await startMigration(db, { model: key, switchAt, now });
    }
    await worker.kick();
    return { started: !target, queued, migration: await this.status() };
  }

  /** Switches back to the model that served before, at once (cancelling a running migration). */
  async rollback(): Promise<RollbackResult> {
    const { db } = this.deps;
    const serving = await resolveServing(db, this.deps.models);
    const previous = serving.models.kept.find((k) => k.retiredAt !== null);
    if (!previous) {
      throw new ApiError(409, "nothing_to_roll_back", "no earlier serving model is kept");
    }
    // Only to a model that can embed queries here: otherwise search would have nothing to ask.
    await embedderFor(this.deps.models, previous.model);
    const now = this.now();
    const result = await rollbackTo(db, previous.model, now);
    if (!result.switched) {
      throw new ApiError(409, "switch_conflict", "the serving model changed meanwhile; try again");
    }
    const message = await switchedMessage(db, previous.model, serving.model, "rollback", now);
    await this.deps.worker?.announce(message);
    return { switched: message, requeued: result.requeued };
  }

  /** Frees every set of a kept (or target) model; `name` is its fingerprint key or model id. */
  async drop(name: string): Promise<DropModelResult> {
    const { db } = this.deps;
    const models = await readIndexModels(db);
    const all = [models.serving, models.target, ...models.kept].flatMap((r) => (r ? [r] : []));
    let row = all.find((r) => r.model === name || modelIdOf(r.model) === name);
    if (!row) {
      // A provider name (`hash`, `bundled`): the key of the model it loads.
      const loaded = await this.deps.models.load(name).catch(() => null);
      const key = loaded ? fingerprintKey((await loaded.info()).model) : null;
      row = all.find((r) => r.model === key);
    }
    if (!row) throw new ApiError(404, "not_found", `no model set ${name} is kept`);
    if (row.role === "serving") {
      throw new ApiError(409, "model_serving", `${row.model} serves search: migrate away first`);
    }
    return { dropped: row.model, sets: await dropModel(db, row.model) };
  }

  /**
   * Reconciles the index with the model the server started with: recorded as serving on a fresh
   * index; otherwise, if another model serves, a migration to it begins, while the serving model
   * keeps serving if it can still be loaded here (search says so when it cannot).
   */
  async adoptPrimary(): Promise<AdoptResult> {
    const { db, models } = this.deps;
    const model = fingerprintKey((await models.primary.info()).model);
    const serving = await resolveServing(db, models);
    const base = { model, serving: serving.model, serving_available: serving.embedder !== null };
    if (!serving.models.serving) {
      await ensureServing(db, model, this.now());
      return { ...base, serving: model, action: "registered", message: `${model} serves search` };
    }
    if (serving.model === model) {
      return { ...base, action: "unchanged", message: `${model} serves search` };
    }
    const target = serving.models.target;
    const standing = serving.embedder
      ? `${serving.model} keeps serving search until then`
      : `${serving.model} cannot be loaded here (${serving.error}): search serves keyword ` +
        `results plus what ${model} covers so far, labelled`;
    if (target && target.model !== model) {
      return {
        ...base,
        action: "unchanged",
        message: `the index serves ${serving.model} and is migrating to ${target.model}, not to ${model}; ${standing}`,
      };
    }
    if (!target) {
      const worker = this.requireWorker();
      await startMigration(db, { model, switchAt: 1, now: this.now() });
      await worker.kick();
    }
    return {
      ...base,
      action: "migrating",
      message: `the index serves ${serving.model}; migrating to ${model}; ${standing}`,
    };
  }

  private requireWorker(): IndexWorker {
    return requireWorker(this.deps.worker, "a migration needs it");
  }
}

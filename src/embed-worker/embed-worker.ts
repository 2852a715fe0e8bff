/**
 * EmbedWorker: the background embedder of one shard (`shards.ts`; with one shard, the single
 * worker `idFromName("embedder")`). Its alarm claims its KBs' due queue rows, embeds them in
 * batches (`EMBED_CONCURRENCY` rounds in flight, paced by one `Pacer`), commits the results, and
 * re-arms for the earliest due row; shard 0 also holds the hibernatable WebSockets that hear
 * about every write and every embedding.
 */
import { DurableObject } from "cloudflare:workers";
import { readSettings, type Settings } from "../config";
import { embedNow, roundResult } from "../embedding/embed-now";
import { emptyOutcome, type RoundOutcome, roundContext } from "../embedding/embed-round";
import { runShadowCycle, switchIfReady } from "../embedding/migration";
import { Pacer } from "../embedding/pacer";
import { embedderFor, resolveServing, servingEmbedder } from "../embedding/serving";
import { selectModels } from "../select-embedder";
import type { EmbedRoundResult, WorkerStatus } from "../shared/api-types";
import {
  type EntryEventMessage,
  type HelloMessage,
  type ModelSwitchedMessage,
  PING_TEXT,
  PONG_TEXT,
  WS_PROTOCOL,
} from "../shared/messages";
import { type Db, openDb } from "../storage/db";
import { readIndexModels } from "../storage/index-models";
import { nextDueAt } from "../storage/queue-claim";
import { nextShadowDueAt } from "../storage/shadow-queue";
import type { Shard } from "../storage/shard";
import { selectVectorStore } from "../vectors/select-vector-store";
import { hubStub, shardIndexOf } from "./shards";
import { WorkerState } from "./state";

/** How long one alarm keeps looping before yielding and re-arming (workerd limits wall time). */
const ALARM_BUDGET_MS = 20_000;
/**
 * Embedder calls in one cycle. An entry with more passages than that is handed back with its
 * progress stored and continues next cycle, behind whatever else is due: a huge entry never
 * holds the queue, and never becomes one giant embedder call.
 */
const CALLS_PER_CYCLE = 4;
const ALL_TAG = "*";

export class EmbedWorker extends DurableObject<Env> {
  private readonly state: WorkerState;
  private readonly settings: Settings;
  private readonly db: Db;
  /**
   * The rounds in hand (claims included), at most `embedConcurrency`: pause waits for them. Each
   * claims its own rows in D1, so two rounds never hold one row.
   */
  private readonly inFlight = new Set<Promise<unknown>>();
  private paused = false;
  /** Which KBs this worker embeds (set from its name, known before anything runs). */
  private shard: Shard;
  /** Paces every round's embedder calls: the budgets and "busy, retry after" answers. */
  private readonly pacer: Pacer;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.settings = readSettings(env);
    this.db = openDb(env.DB);
    this.state = new WorkerState(ctx.storage.sql);
    this.shard = { index: shardIndexOf(ctx.id.name), count: this.settings.embedShards };
    const share = 1 / this.settings.embedShards;
    this.pacer = new Pacer({
      tokensPerMinute: this.settings.tokensPerMinute * share,
      requestsPerMinute: this.settings.requestsPerMinute * share,
    });
    ctx.blockConcurrencyWhile(async () => {
      this.state.init();
      const facts = this.state.facts();
      this.paused = facts.paused;
      // Called through a stub, the object knows its name; woken by its alarm alone (after a
      // restart), it does not, and would take itself for shard 0: keep the name it was given.
      const name = ctx.id.name ?? facts.name ?? undefined;
      if (ctx.id.name !== undefined && ctx.id.name !== facts.name) this.state.setName(ctx.id.name);
      this.shard = { index: shardIndexOf(name), count: this.settings.embedShards };
    });
    // Answered by the runtime itself, so an idle socket's keep-alive never wakes the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
  }

  /** Makes sure the loop runs soon (after the configured kick delay); cheap and idempotent. */
  async kick(): Promise<void> {
    if (this.paused) return;
    const at = Date.now() + this.settings.kickDelayMs;
    const scheduled = await this.ctx.storage.getAlarm();
    if (scheduled === null || scheduled > at) await this.ctx.storage.setAlarm(at);
  }

  /** Sends write events to subscribers and, if asked, kicks the loop. */
  async notify(events: EntryEventMessage[], kick: boolean): Promise<void> {
    this.broadcast(events);
    if (kick) await this.kick();
  }

  /** Tells every socket that the serving model changed (a rollback), and kicks the loop. */
  async announce(message: ModelSwitchedMessage): Promise<void> {
    this.broadcastAll(message);
    await this.kick();
  }

  /** Finishes the batches in hand, then claims nothing new until `resume`. */
  async pause(): Promise<WorkerStatus> {
    this.paused = true;
    this.state.setPaused(true);
    await this.ctx.storage.deleteAlarm();
    await Promise.all([...this.inFlight].map((round) => round.catch(() => undefined)));
    return this.status();
  }

  /** Lifts a pause and runs the loop now. */
  async resume(): Promise<WorkerStatus> {
    this.paused = false;
    this.state.setPaused(false);
    await this.ctx.storage.setAlarm(Date.now());
    return this.status();
  }

  /** Embeds one batch of due rows now and reports it (the synchronous `POST /api/index/embed`). */
  async processNow(limit?: number): Promise<EmbedRoundResult> {
    const paused = { paused: true, claimed: 0, embedded: 0, failed: 0, retrying: 0 };
    if (this.paused) return paused;
    const run = await this.runRound(limit ?? this.settings.batchSize);
    await this.rearm();
    return run ? roundResult(run) : paused;
  }

  /** The worker's part of the status. */
  async status(): Promise<WorkerStatus> {
    const facts = this.state.facts();
    const alarm = await this.ctx.storage.getAlarm();
    const now = Date.now();
    return {
      state: this.paused ? "paused" : this.inFlight.size > 0 ? "running" : "idle",
      last_run_at: facts.lastRunAt === null ? null : new Date(facts.lastRunAt).toISOString(),
      next_alarm_at: alarm === null ? null : new Date(alarm).toISOString(),
      batch_size: this.settings.batchSize,
      max_attempts: this.settings.maxAttempts,
      embedded_last_minute: this.state.completedLastMinute(now),
      passages_last_minute: this.state.passagesLastMinute(now),
      last_error: facts.lastError,
      concurrency: this.settings.embedConcurrency,
      in_flight: this.inFlight.size,
      shard: this.shard,
    };
  }

  override async alarm(): Promise<void> {
    const started = Date.now();
    // `embedConcurrency` lanes, each claiming and embedding round after round until nothing of
    // this shard is due: a remote embedder is kept busy during each other's round trips.
    const lane = async () => {
      while (!this.paused) {
        const run = await this.runRound(this.settings.batchSize);
        if (!run || run.claimed === 0 || Date.now() - started > ALARM_BUDGET_MS) break;
      }
    };
    try {
      await Promise.all(Array.from({ length: this.settings.embedConcurrency }, lane));
    } finally {
      await this.rearm();
    }
  }

  /**
   * Claims and processes one batch, or nothing (null) once paused; at most `embedConcurrency`
   * at once (one, by default: a CPU-bound local embedder gains nothing from more).
   */
  private async runRound(
    limit: number,
  ): Promise<{ claimed: number; outcome: RoundOutcome } | null> {
    while (this.inFlight.size >= this.settings.embedConcurrency) {
      await Promise.race([...this.inFlight].map((round) => round.catch(() => undefined)));
    }
    // Checked after the wait: a batch queued behind the ones in hand claims nothing after a pause.
    if (this.paused) return null;
    // Added before the first await, so a pause, or another batch, sees this one from its claim on.
    const batch = this.claimAndProcess(limit);
    this.inFlight.add(batch);
    try {
      return await batch;
    } finally {
      this.inFlight.delete(batch);
    }
  }

  /**
   * One cycle: due rows of the serving queue, embedded with the serving model; only when none is
   * due, a migration's shadow rows (one embedder call's worth, so a fresh write waits at most
   * that long), then the switch if the target now covers enough.
   */
  private async claimAndProcess(
    limit: number,
  ): Promise<{ claimed: number; outcome: RoundOutcome }> {
    const models = selectModels(this.env, this.settings);
    const serving = await resolveServing(this.db, models);
    // A serving model that cannot be had here fails its rows' attempts (with backoff, so an
    // embedder that is down is not asked in a tight loop), as any embedder failure does.
    const embedder = serving.embedder ?? servingEmbedder(this.db, models);
    const base = roundContext(
      this.db,
      selectVectorStore(this.env, this.db),
      embedder,
      this.settings,
    );
    const context = {
      ...base,
      textsPerCycle: this.settings.batchSize * CALLS_PER_CYCLE,
      pacer: this.pacer,
    };
    const { claimed, outcome, events } = await embedNow(context, this.settings.leaseMs, {
      due: limit,
      shard: this.shard,
    });
    // Events only after the commits embedNow awaited; and before the run record, so they don't
    // wait behind its storage write at the output gate.
    await this.forwardEvents(events);
    this.state.recordRun(Date.now(), outcome.completed.length, outcome.passages, outcome.lastError);
    // A migration's shadow work runs on the first shard only (one worker fills the target).
    if (claimed > 0 || !serving.models.target || this.shard.index !== 0)
      return { claimed, outcome };
    const target = serving.models.target;
    let shadow = { claimed: 0, outcome: emptyOutcome() };
    try {
      const embedder = await embedderFor(models, target.model);
      const context = { ...base, textsPerCycle: this.settings.batchSize, pacer: this.pacer };
      shadow = await runShadowCycle(
        context,
        target.model,
        embedder,
        this.settings.leaseMs,
        this.settings.batchSize,
      );
    } catch (err) {
      // The target cannot be loaded: its rows wait (the status says why); the switch check runs.
      console.error("embed worker: the migration's target is unavailable", err);
    }
    // The shadow set's completions are not searchable yet: no embed_complete for them.
    this.state.recordRun(Date.now(), 0, shadow.outcome.passages, shadow.outcome.lastError);
    const switched = await switchIfReady(this.db, serving.models, Date.now());
    if (switched) this.broadcastAll(switched);
    return { claimed: shadow.claimed + (switched ? 1 : 0), outcome: shadow.outcome };
  }

  /** Sets the alarm for the earliest due row, or clears it when nothing is due or paused. */
  private async rearm(): Promise<void> {
    if (this.paused) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    let next: number | undefined;
    try {
      const [serving, models] = await Promise.all([
        nextDueAt(this.db, this.shard),
        readIndexModels(this.db),
      ]);
      // A migration's shadow work runs on the first shard only (one worker fills the target).
      const shadow =
        models.target && this.shard.index === 0
          ? await nextShadowDueAt(this.db, models.target.model)
          : undefined;
      next = serving === undefined ? shadow : Math.min(serving, shadow ?? serving);
    } catch (err) {
      // D1 unreachable: try again later rather than sleep forever.
      console.error("embed worker: cannot read the queue", err);
      next = Date.now() + Math.max(1000, this.settings.retryBaseMs);
    }
    if (next === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  /** Accepts a WebSocket (hibernatable), tagged with its KB subscription. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const kb = new URL(request.url).searchParams.get("kb");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [kb ? `kb:${kb}` : ALL_TAG]);
    const hello: HelloMessage = { type: "hello", kb_name: kb };
    server.send(JSON.stringify(hello));
    const offered = (request.headers.get("Sec-WebSocket-Protocol") ?? "").split(",");
    const headers = new Headers();
    // Answer the one protocol we speak, if offered; never echo an offer blindly: browsers offer
    // the token as a subprotocol too, and a handshake header ends up in logs and proxies.
    if (offered.some((p) => p.trim() === WS_PROTOCOL)) {
      headers.set("Sec-WebSocket-Protocol", WS_PROTOCOL);
    }
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The only client message is ping, answered by the auto-response; anything else is ignored.
    if (typeof message === "string" && message.trim() === PING_TEXT) ws.send(PONG_TEXT);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // 1005/1006 are reserved: they may be reported but never sent, so reciprocate with 1000.
    const reply = code === 1005 || code === 1006 ? 1000 : code;
    try {
      ws.close(reply, reason);
    } catch {
      // Already closed: nothing to reciprocate.
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    try {
      ws.close(1011, "error");
    } catch {
      // Already closed.
    }
  }

  /** Sends one message to every socket, whatever KB it follows. */
  private broadcastAll(message: ModelSwitchedMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A socket closing under us.
      }
    }
  }

  /** Sends events to the subscribers: here on the hub, through the hub on other shards. */
  private async forwardEvents(events: EntryEventMessage[]): Promise<void> {
    if (events.length === 0) return;
    if (this.shard.index === 0) {
      this.broadcast(events);
      return;
    }
    try {
      await hubStub(this.env).notify(events, false);
    } catch (err) {
      // Committed either way; a client that must not miss an event also polls the status.
      console.error("embed worker: could not forward events to the hub", err);
    }
  }

  private broadcast(events: EntryEventMessage[]): void {
    if (events.length === 0) return;
    for (const event of events) {
      const text = JSON.stringify(event);
      const sockets = [
        ...this.ctx.getWebSockets(ALL_TAG),
        ...this.ctx.getWebSockets(`kb:${event.kb_name}`),
      ];
      for (const ws of sockets) {
        try {
          ws.send(text);
        } catch {
          // A socket closing under us: it will get its close event; others still get theirs.
        }
      }
    }
  }
}

/** The stub of the EmbedWorker that holds the WebSockets (the single worker, or shard 0). */
export function embedWorkerStub(env: Env): DurableObjectStub<EmbedWorker> {
  return hubStub(env);
}

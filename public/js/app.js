// @ts-check
/**
 * The status page: polls `GET /api/index/embed-status` every 2 s, listens to `/ws` for entry
 * events (each one also triggers an early refresh), keeps a few minutes of queue-depth samples
 * for the chart, and drives pause / resume / retry through the same API as the CLI.
 */
import { ApiRequestError, getToken, request, setToken } from "./api.js";
import { renderChart } from "./chart.js";
import { clock, count, duration, relative } from "./format.js";
import { connectEvents } from "./live.js";

// The shapes the API answers with: the types the worker's schemas define (src/shared).
/** @typedef {import("../../src/shared/api-types.js").EmbedStatus} EmbedStatus */
/** @typedef {import("../../src/shared/api-types.js").FailedRows} FailedRows */
/** @typedef {import("../../src/shared/api-types.js").RetryResult} RetryResult */
/** @typedef {import("../../src/shared/messages.js").ServerMessage} ServerMessage */
/** @typedef {import("../../src/shared/messages.js").EntryEventMessage} EntryEventMessage */
/** @typedef {import("../../src/shared/messages.js").ModelSwitchedMessage} ModelSwitchedMessage */

const POLL_MS = 2000;
/** The chart spans the samples collected so far, from 1 up to 10 minutes. */
const CHART_MIN_MS = 60_000;
const CHART_MAX_MS = 10 * 60_000;
const MAX_EVENTS = 30;
const FAILED_LIMIT = 50;

/** `?kb=` on the page narrows everything to one knowledge base. */
const kb = new URLSearchParams(location.search).get("kb");

const state = {
  /** @type {EmbedStatus | null} */
  status: null,
  /** @type {import("./chart.js").Sample[]} */
  samples: [],
  /** @type {{ message: EntryEventMessage | ModelSwitchedMessage, at: string | number }[]} */
  events: [],
  /** @type {FailedRows["failed"]} */
  failed: [],
  /** True while the API answers 401: polling continues, the token prompt stays up once. */
  unauthorized: false,
  socket: /** @type {"connecting" | "live" | "offline"} */ ("connecting"),
  /** @type {number | undefined} */
  refreshTimer: undefined,
  inFlight: false,
};

/** @param {string} id */
function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node;
}

/**
 * A small element builder; text only (never HTML), so errors and ids render as written.
 * @param {string} tag
 * @param {{ class?: string, title?: string, text?: string }} [props]
 * @param {(Node | string)[]} [children]
 */
function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.title) node.title = props.title;
  if (props.text !== undefined) node.textContent = props.text;
  node.append(...children);
  return node;
}

/** @param {string} message @param {"ok" | "error"} [tone] */
function toast(message, tone = "ok") {
  const node = $("toast");
  node.textContent = message;
  node.className = `toast toast-${tone}`;
  node.hidden = false;
  clearTimeout(Number(node.dataset.timer));
  node.dataset.timer = String(setTimeout(() => (node.hidden = true), 3500));
}

/** @param {HTMLElement} node @param {string} text @param {string} tone */
function pill(node, text, tone) {
  node.textContent = text;
  node.className = `pill pill-${tone}`;
}

// ---------------------------------------------------------------- rendering

function renderStatus() {
  const s = state.status;
  if (!s) return;
  $("stat-entries").textContent = count(s.entries);
  $("stat-embedded").textContent = count(s.embedded);
  $("stat-pending").textContent = count(s.pending);
  $("stat-processing").textContent = count(s.processing);
  $("stat-failed").textContent = count(s.failed);
  $("stat-throughput").textContent =
    s.throughput_last_minute === null ? "–" : count(s.throughput_last_minute);

  $("fact-model").textContent = s.model
    ? `${s.model}${s.provider ? ` (${s.provider})` : ""}`
    : "unavailable";
  renderMigration(s.migration);
  // Entries are embedded as passages: how many are searchable, and the embedder's own pace.
  $("fact-passages").textContent =
    `${count(s.passages ?? 0)} searchable` +
    (s.passages_last_minute === null || s.passages_last_minute === undefined
      ? ""
      : ` · ${count(s.passages_last_minute)}/min embedded`);
  const semantic = $("fact-semantic");
  semantic.replaceChildren(
    s.semantic
      ? h("span", { class: "pill pill-ok", text: "semantic" })
      : h("span", {
          class: "pill pill-warn",
          text: s.provider === "hash" ? "lexical fallback" : "not semantic",
        }),
  );
  $("fact-mode").textContent = s.embed_mode;
  const worker = s.worker;
  const present = worker.state !== "absent";
  $("fact-batch").textContent = present ? `${worker.batch_size} · ${worker.max_attempts}` : "–";
  $("fact-oldest").textContent =
    s.oldest_pending_age_ms === null ? "–" : duration(s.oldest_pending_age_ms);
  $("fact-last-run").textContent = present ? relative(worker.last_run_at) : "–";
  $("fact-next-alarm").textContent = present ? relative(worker.next_alarm_at) : "–";
  $("fact-stale").textContent = `${count(s.stale)} · ${count(s.missing)}`;
  const lastError = $("fact-last-error");
  if (s.last_error) {
    const e = s.last_error;
    lastError.replaceChildren(
      h("span", { class: "error-text", text: `${e.kb_name}/${e.entry_id}: ${e.error}` }),
      h("span", { class: "muted small", text: ` · ${relative(e.at)}` }),
    );
    lastError.title = `at ${e.at}`;
  } else {
    lastError.replaceChildren(h("span", { class: "muted", text: "none" }));
    lastError.title = "";
  }

  const tones = { running: "info", idle: "ok", paused: "warn", absent: "muted" };
  const label = present ? worker.state : "no worker";
  pill(
    $("worker-state"),
    label,
    tones[/** @type {keyof typeof tones} */ (worker.state)] ?? "muted",
  );
  const pause = /** @type {HTMLButtonElement} */ ($("pause"));
  const resume = /** @type {HTMLButtonElement} */ ($("resume"));
  pause.disabled = !present || worker.state === "paused";
  resume.disabled = !present || worker.state !== "paused";
  const reason = present ? "" : `no background worker runs (EMBED_MODE=${s.embed_mode})`;
  pause.title = reason;
  resume.title = reason;
  /** @type {HTMLButtonElement} */ ($("retry-all")).disabled = s.failed === 0;

  const banner = $("banner");
  if (s.migration && !s.migration.serving_available) {
    banner.hidden = false;
    banner.className = "banner banner-warn";
    banner.replaceChildren(
      h("strong", { text: "Serving model unavailable. " }),
      `${s.migration.serving} cannot be loaded here (${s.migration.serving_error}): search serves keyword results plus what ${s.migration.target ?? "the new model"} covers so far, until the migration switches.`,
    );
  } else if (!s.semantic) {
    banner.hidden = false;
    banner.className = "banner banner-warn";
    banner.replaceChildren(
      ...(s.provider === "hash"
        ? [
            h("strong", { text: "Lexical fallback. " }),
            `The active embedder (${s.model ?? "none"}) is not a semantic model: semantic and hybrid search compare word features, not meaning.`,
          ]
        : [
            h("strong", { text: "Not semantic. " }),
            `The active model (${s.model ?? "none"}) does not claim meaningful similarities (e.g. the generated test model, whose weights are random).`,
          ]),
    );
  } else banner.hidden = true;
}

/**
 * The serving model's migration, if one runs: target, shadow coverage, pace and ETA.
 * @param {any} m
 */
function renderMigration(m) {
  const node = $("fact-migration");
  if (!m) {
    node.textContent = "–";
    return;
  }
  if (m.target && m.shadow) {
    const sh = m.shadow;
    const eta = sh.eta_seconds === null ? "–" : duration(sh.eta_seconds * 1000);
    node.textContent =
      `→ ${m.target}: ${count(sh.covered)}/${count(sh.entries)} ` +
      `(${Math.floor(sh.ratio * 100)}%, switch at ${Math.round(m.switch_at * 100)}%) · ` +
      `${count(sh.entries_last_minute)}/min · ETA ${eta}` +
      (sh.failed > 0 ? ` · ${count(sh.failed)} failed` : "");
    return;
  }
  const kept = m.models
    .filter((/** @type {any} */ x) => x.role === "kept")
    .map((/** @type {any} */ x) => x.model);
  node.textContent = kept.length > 0 ? `none · kept for rollback: ${kept.join(", ")}` : "none";
}

function renderConnection() {
  const node = $("connection");
  if (state.unauthorized) return pill(node, "token required", "error");
  /** @type {Record<typeof state.socket, [string, string]>} */
  const labels = {
    live: ["live", "ok"],
    connecting: ["connecting…", "muted"],
    offline: ["reconnecting…", "warn"],
  };
  const [text, tone] = labels[state.socket];
  pill(node, text, tone);
}

function renderEvents() {
  const list = $("events");
  $("events-empty").hidden = state.events.length > 0;
  const labels = {
    embed_complete: ["embedded", "ok"],
    embed_failed: ["failed", "error"],
    entry_created: ["created", "muted"],
    entry_updated: ["updated", "muted"],
    entry_deleted: ["deleted", "muted"],
    model_switched: ["model switched", "info"],
  };
  list.replaceChildren(
    ...state.events.map(({ message, at }) => {
      const [label, tone] = labels[/** @type {keyof typeof labels} */ (message.type)] ?? [
        message.type,
        "muted",
      ];
      if (message.type === "model_switched") {
        const c = message.coverage;
        const item = h("li", { class: "event event-model_switched" }, [
          h("span", { class: `pill pill-${tone}`, text: label }),
          h("span", {
            class: "event-entry",
            text: `${message.previous ?? "–"} → ${message.model}`,
          }),
          h("span", {
            class: "muted",
            text: `${message.reason} · ${count(c.embedded)}/${count(c.entries)} current`,
          }),
          h("time", { class: "muted small", text: clock(at) }),
        ]);
        item.dataset.type = message.type;
        return item;
      }
      const detail =
        message.type === "embed_failed"
          ? h("span", { class: "error-text", title: message.error, text: message.error })
          : message.type === "embed_complete"
            ? h("span", {
                class: "muted",
                text:
                  `${message.model} · ` +
                  (message.passages
                    ? `${message.passages.total} passages (${message.passages.embedded} embedded, ${message.passages.reused} reused) · `
                    : "") +
                  `attempt ${message.attempts}`,
              })
            : h("span");
      const item = h("li", { class: `event event-${message.type}` }, [
        h("span", { class: `pill pill-${tone}`, text: label }),
        h("span", { class: "event-entry" }, [
          h("span", { class: "kb", text: `${message.kb_name}/` }),
          h("span", { text: message.entry_id }),
        ]),
        detail,
        h("time", { class: "muted small", text: clock(at) }),
      ]);
      item.dataset.type = message.type;
      item.dataset.entry = message.entry_id;
      return item;
    }),
  );
}

function renderFailed() {
  const rows = $("failed-rows");
  $("failed-empty").hidden = state.failed.length > 0;
  $("failed-table").hidden = state.failed.length === 0;
  rows.replaceChildren(
    ...state.failed.map((f) => {
      const button = h("button", { class: "btn btn-small", text: "Retry" });
      button.setAttribute("type", "button");
      button.dataset.testid = "retry";
      button.addEventListener("click", () => retry(/** @type {HTMLButtonElement} */ (button), f));
      const row = h("tr", {}, [
        h("td", { class: "entry", title: `${f.kb_name}/${f.entry_id}` }, [
          h("span", { class: "kb", text: `${f.kb_name}/` }),
          h("span", { text: f.entry_id }),
        ]),
        h("td", { class: "error-text", title: f.error ?? "", text: f.error ?? "" }),
        h("td", { class: "num", text: String(f.attempts) }),
        h("td", { class: "muted nowrap", title: f.updated_at, text: relative(f.updated_at) }),
        h("td", { class: "num" }, [button]),
      ]);
      row.dataset.entry = f.entry_id;
      return row;
    }),
  );
}

function renderChartNow() {
  const now = Date.now();
  const collected = now - (state.samples[0]?.t ?? now);
  const minutes = Math.ceil(Math.min(CHART_MAX_MS, Math.max(CHART_MIN_MS, collected)) / 60_000);
  renderChart($("chart"), state.samples, minutes * 60_000, now);
}

// ---------------------------------------------------------------- data

/** @param {unknown} err */
function handleError(err) {
  if (err instanceof ApiRequestError && err.status === 401) {
    if (!state.unauthorized) {
      state.unauthorized = true;
      renderConnection();
      askForToken("This server requires an API token (the one in PYRITE_API_TOKEN).");
    }
    return;
  }
  pill($("connection"), "server unreachable", "error");
  if (!(err instanceof ApiRequestError) || err.status !== 0) console.error(err);
}

async function refresh() {
  if (state.inFlight) return;
  state.inFlight = true;
  try {
    const query = kb ? `?kb=${encodeURIComponent(kb)}` : "";
    /** @type {EmbedStatus} */
    const status = await request("GET", `/api/index/embed-status${query}`);
    const failedQuery = new URLSearchParams({ limit: String(FAILED_LIMIT) });
    if (kb) failedQuery.set("kb", kb);
    // The list is read only while something has failed (or to clear it once nothing has).
    if (status.failed > 0 || state.failed.length > 0) {
      /** @type {FailedRows} */
      const failed = await request("GET", `/api/index/embed/failed?${failedQuery}`);
      state.failed = failed.failed;
    }
    const wasUnauthorized = state.unauthorized;
    state.unauthorized = false;
    state.status = status;
    const now = Date.now();
    state.samples.push({
      t: now,
      pending: status.pending,
      processing: status.processing,
      failed: status.failed,
    });
    state.samples = state.samples.filter((s) => s.t >= now - CHART_MAX_MS - 10_000);
    renderStatus();
    renderFailed();
    renderChartNow();
    if (wasUnauthorized || $("connection").textContent === "server unreachable") {
      renderConnection();
    }
    $("updated").textContent = `updated ${clock(now)}`;
  } catch (err) {
    handleError(err);
  } finally {
    state.inFlight = false;
  }
}

/** Refreshes soon (events arrive in bursts: one refresh per burst). */
function refreshSoon() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = window.setTimeout(refresh, 150);
}

/** @param {ServerMessage} message */
function onMessage(message) {
  if (message.type === "hello" || message.type === "pong") return;
  const at = message.type === "model_switched" ? message.at : (message.embedded_at ?? Date.now());
  state.events.unshift({ message, at });
  state.events.length = Math.min(state.events.length, MAX_EVENTS);
  renderEvents();
  refreshSoon();
}

// ---------------------------------------------------------------- actions

/**
 * @param {HTMLButtonElement} button
 * @param {() => Promise<string>} action returns the message to show
 */
async function act(button, action) {
  button.disabled = true;
  try {
    toast(await action());
    await refresh();
  } catch (err) {
    if (err instanceof ApiRequestError && err.status === 401) handleError(err);
    else toast(err instanceof Error ? err.message : String(err), "error");
    button.disabled = false;
  }
}

/** @param {HTMLButtonElement} button @param {{ kb_name: string, entry_id: string }} f */
function retry(button, f) {
  return act(button, async () => {
    /** @type {RetryResult} */
    const { requeued } = await request("POST", "/api/index/embed/retry-failed", {
      kb: f.kb_name,
      id: f.entry_id,
    });
    return requeued > 0 ? `${f.entry_id} is queued again` : `${f.entry_id} was no longer failed`;
  });
}

/** @param {string} reason */
function askForToken(reason) {
  const dialog = /** @type {HTMLDialogElement} */ ($("token-dialog"));
  $("token-reason").textContent = reason;
  const input = /** @type {HTMLInputElement} */ ($("token-input"));
  input.value = getToken();
  if (!dialog.open) dialog.showModal();
  input.focus();
}

/** @type {{ reconnect(): void }} */
let events;

function wire() {
  $("pause").addEventListener("click", (e) =>
    act(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
      await request("POST", "/api/index/embed/pause");
      return "Paused: the batch in hand finishes, nothing new is claimed";
    }),
  );
  $("resume").addEventListener("click", (e) =>
    act(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
      await request("POST", "/api/index/embed/resume");
      return "Resumed";
    }),
  );
  $("retry-all").addEventListener("click", (e) =>
    act(/** @type {HTMLButtonElement} */ (e.currentTarget), async () => {
      /** @type {RetryResult} */
      const { requeued } = await request("POST", "/api/index/embed/retry-failed", kb ? { kb } : {});
      return `${requeued} ${requeued === 1 ? "entry" : "entries"} queued again`;
    }),
  );
  $("token-button").addEventListener("click", () =>
    askForToken("The token is kept in this browser's local storage and sent with every request."),
  );
  $("token-form").addEventListener("submit", () => {
    const input = /** @type {HTMLInputElement} */ ($("token-input"));
    setToken(input.value.trim());
    state.unauthorized = false;
    events.reconnect();
    refresh();
  });
  $("token-clear").addEventListener("click", () => {
    setToken("");
    /** @type {HTMLDialogElement} */ ($("token-dialog")).close();
    events.reconnect();
    refresh();
  });
  window.addEventListener("resize", renderChartNow);
}

function start() {
  if (kb) $("scope").textContent = `· knowledge base ${kb}`;
  wire();
  events = connectEvents({
    kb,
    token: getToken,
    onState: (socketState) => {
      state.socket = socketState;
      renderConnection();
      // Reconnected: counts may have moved while events could not arrive.
      if (socketState === "live") refreshSoon();
    },
    onMessage,
  });
  refresh();
  setInterval(refresh, POLL_MS);
  // Relative times ("12 s ago") age between polls too.
  setInterval(() => renderChartNow(), 5000);
}

start();

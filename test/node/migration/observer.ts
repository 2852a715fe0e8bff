/**
 * Watches a server while a migration runs: a search every 100 ms and the embedding status beside
 * it, plus every `model_switched` event, so a test can check that no search was empty or read
 * another model than the one serving at the time.
 */
import WebSocket from "ws";
import type { EmbedStatus, SearchResponse } from "../../../src/shared/api-types.js";
import type { ModelSwitchedMessage } from "../../../src/shared/messages.js";
import { api } from "../../support/server.js";

/** One search as the observer saw it. */
export interface Observation {
  at: number;
  status: number;
  model: string | null;
  results: string[];
  coverage: { embedded: number; entries: number } | null;
  degraded: string | null;
  /** The status read right after: which model served, and how many entries it had embedded. */
  serving: string | null;
  embedded: number;
}

/** A running observer; `stop()` ends it and returns what it saw. */
export interface Observer {
  switches: ModelSwitchedMessage[];
  /** What it saw so far (it keeps adding). */
  seen: Observation[];
  stop(): Promise<Observation[]>;
}

/** Starts searching `query` in `kb` every 100 ms, and listening for switches. */
export async function observe(url: string, kb: string, query: string): Promise<Observer> {
  const switches: ModelSwitchedMessage[] = [];
  const ws = new WebSocket(`${url.replace("http", "ws")}/ws`);
  await new Promise<void>((done, fail) => {
    ws.once("open", () => done());
    ws.once("error", fail);
  });
  ws.on("message", (data) => {
    const message = JSON.parse(String(data)) as { type: string };
    if (message.type === "model_switched") switches.push(message as ModelSwitchedMessage);
  });
  const seen: Observation[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const next = Date.now() + 100;
      const response = await fetch(
        `${url}/api/search?q=${encodeURIComponent(query)}&kb=${kb}&mode=semantic&limit=5`,
      );
      const body = (await response.json()) as SearchResponse & {
        semantic_coverage?: { embedded: number; entries: number } | null;
      };
      const status = await api<EmbedStatus>(url, "GET", `/api/index/embed-status?kb=${kb}`);
      seen.push({
        at: Date.now(),
        status: response.status,
        model: body.model ?? null,
        results: (body.results ?? []).map((r) => r.id),
        coverage: body.semantic_coverage ?? null,
        degraded: body.degraded?.code ?? null,
        serving: status.migration.serving,
        embedded: status.embedded,
      });
      await new Promise((done) => setTimeout(done, Math.max(0, next - Date.now())));
    }
  })();
  return {
    switches,
    seen,
    async stop() {
      running = false;
      await loop;
      ws.close();
      return seen;
    },
  };
}

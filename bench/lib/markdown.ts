/** `bench/results/latest.md`: the tables the README quotes. */
import { renderCorpus } from "./markdown-corpus.js";
import type { BenchResults, Outcome } from "./results.js";
import { ok } from "./results.js";
import type { Summary } from "./stats.js";

const f1 = (value: number) => value.toFixed(1);
const pair = (s: Summary) => `${f1(s.p50)} / ${f1(s.p95)}`;
const verdict = (met: boolean | null) =>
  met === null ? "not measured" : met ? "**met**" : "**missed**";

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function failed(name: string, outcome: Outcome<object> | undefined): string | undefined {
  if (outcome === undefined) return `_${name}: not run._`;
  if ("error" in outcome) return `_${name} failed: ${String(outcome.error)}_`;
  return undefined;
}

/** Renders the results as markdown. */
export function renderMarkdown(results: BenchResults): string {
  const { machine, versions } = results;
  const out: string[] = [];
  const corpusOnly = Object.keys(results.scenarios).join() === "corpus";
  out.push(
    `# Benchmark results${corpusOnly ? ": a real corpus" : ""}${results.quick ? " (quick run: small counts)" : ""}`,
  );
  out.push("");
  out.push(
    `Run ${results.date} in ${Math.round(results.durationSeconds)} s on ${machine.cpu}, ${machine.cores} cores, ` +
      `${machine.ramGiB} GiB RAM (${machine.os}); load average ${machine.loadAvgAtStart.join(" / ")} at the start, ` +
      `${machine.loadAvgAtEnd.join(" / ")} at the end. Node ${versions.node}, workerd ${versions.workerd}, ` +
      `wrangler ${versions.wrangler}, miniflare ${versions.miniflare}, transformers.js ` +
      `${versions["@huggingface/transformers"]}, onnxruntime-node ${versions["onnxruntime-node"]}. ` +
      `Model: ${String(results.settings.model)}. Every figure comes from the real local server ` +
      "(`src/server/main.ts`, as `npm start`) over loopback; ratios compare figures measured in the same run.",
  );
  if (corpusOnly) {
    out.push("", ...corpusSection(results), "");
    return out.join("\n");
  }
  out.push("");
  out.push("## Targets");
  out.push("");
  out.push(
    table(
      ["Target", "Figure", "Verdict"],
      results.targets.map((t) => [
        t.target,
        t.note ? `${t.figure} (${t.note})` : t.figure,
        verdict(t.met),
      ]),
    ),
  );

  out.push("", "## Write latency", "");
  const write = ok(results.scenarios.writeLatency);
  if (write) {
    out.push(
      `${write.writesPerSeries} sequential creates of ~${write.bodyWords}-word entries per series (ms).`,
      "",
      table(
        ["EMBED_MODE", "p50", "p95", "p99"],
        [
          ["off", write.latencyMs.off],
          ["background", write.latencyMs.background],
          ["background, worker paused", write.latencyMs.backgroundPaused],
          ["sync", write.latencyMs.sync],
        ].map(([name, s]) => {
          const summary = s as Summary;
          return [String(name), f1(summary.p50), f1(summary.p95), f1(summary.p99)];
        }),
      ),
      "",
      `background / off p50 ${write.ratios.backgroundOverOffP50.toFixed(2)}×, p95 ${write.ratios.backgroundOverOffP95.toFixed(2)}×; ` +
        `sync / background p50 ${write.ratios.syncOverBackgroundP50.toFixed(2)}×; background (worker paused) / off p50 ${write.ratios.pausedOverOffP50.toFixed(2)}×.`,
    );
  } else out.push(failed("write latency", results.scenarios.writeLatency) ?? "");

  out.push("", "## Drain throughput and memory", "");
  const drain = ok(results.scenarios.drain);
  if (drain) {
    out.push(
      table(
        [
          "Batch",
          "Entries",
          "Passages",
          "Pipeline entries/s",
          "Pipeline passages/s",
          "Raw embedder texts/s",
          "Ratio",
          "Peak RSS workerd (MiB)",
          "Peak RSS embedder/launcher (MiB)",
          "CPU ms/entry workerd / launcher",
        ],
        drain.runs.map((r) => [
          String(r.batchSize),
          String(r.entries),
          String(r.passages),
          f1(r.pipelineEntriesPerSec),
          f1(r.pipelinePassagesPerSec),
          f1(r.rawTextsPerSec),
          r.ratio.toFixed(2),
          f1(r.memory.workerd?.peakRssMiB ?? Number.NaN),
          f1(r.memory.launcher?.peakRssMiB ?? Number.NaN),
          `${f1(r.cpuMsPerEntry.workerd ?? Number.NaN)} / ${f1(r.cpuMsPerEntry.launcher ?? Number.NaN)}`,
        ]),
      ),
      "",
      `~${drain.bodyWords}-word entries, split into passages for the model's 256-token window. Raw = the same embedder in a process of its own at the server embedder's CPU priority, on the same passage inputs and batch size (the ratio is in passages/s), half timed before the drain and half after. CPU = CPU time of each process during the drain per entry.`,
    );
  } else out.push(failed("drain", results.scenarios.drain) ?? "");

  out.push("", "## Freshness", "");
  const fresh = ok(results.scenarios.freshness);
  if (fresh) {
    out.push(
      table(
        ["One-section edit of a long note, idle server (ms)", "p50", "p95"],
        [
          [
            "edit acknowledged → embed_complete on /ws",
            f1(fresh.ackToEventMs.p50),
            f1(fresh.ackToEventMs.p95),
          ],
          [
            "raw embed of the edited passage (with its context)",
            f1(fresh.rawSingleEmbedMs.p50),
            f1(fresh.rawSingleEmbedMs.p95),
          ],
        ],
      ),
      "",
      `A ${fresh.note.sections}-section note (~${fresh.note.sectionWords} words a section, ${fresh.note.passages} passages), ` +
        `one section rewritten per sample (${fresh.samples} samples): each edit re-embedded at most ` +
        `${fresh.passagesEmbedded.max} passage(s) (p50 ${fresh.passagesEmbedded.p50}); the client-side split changed at most ${fresh.passagesChangedMax}.`,
    );
  } else out.push(failed("freshness", results.scenarios.freshness) ?? "");

  out.push("", "## Search and status", "");
  const search = ok(results.scenarios.search);
  if (search) {
    out.push(
      `p50 / p95 in ms, ${search.queriesPerMode} queries per mode, limit ${search.limit}, ~${search.bodyWords}-word entries.`,
      "",
      table(
        [
          "Entries",
          "Passages",
          "keyword",
          "semantic",
          "hybrid",
          "first semantic after restart",
          "status (all done)",
          "status (new rows pending)",
          "workerd RSS (MiB)",
        ],
        search.sizes.map((s) => [
          String(s.entries),
          String(s.passages),
          pair(s.latencyMs.keyword),
          pair(s.latencyMs.semantic),
          pair(s.latencyMs.hybrid),
          f1(s.coldSemanticMs),
          pair(s.statusMs),
          `${pair(s.statusPendingMs)} (${s.statusPendingRows} pending)`,
          s.workerdRssMiB === null ? "?" : f1(s.workerdRssMiB),
        ]),
      ),
      "",
      "Entries went through `POST /api/entries/batch`; their passage vectors were stored directly " +
        "(random unit vectors of the active model's fingerprint, queue rows marked done). workerd RSS " +
        "includes the in-isolate index semantic search keeps (a 1-bit sign code per passage, 48 bytes " +
        "at 384 dimensions; candidates rescored with their float32 vectors read from D1).",
    );
  } else out.push(failed("search", results.scenarios.search) ?? "");

  out.push("", "## Load test", "");
  const load = ok(results.scenarios.load);
  if (load) {
    out.push(
      table(
        [
          "Writers × ops",
          "Listeners",
          "Ops/s",
          "p50 (ms)",
          "p95 (ms)",
          "Queue empty after writes",
          "Checks",
        ],
        [
          [
            `${load.writers} × ${load.opsPerWriter}`,
            String(load.listeners),
            f1(load.opsPerSec),
            f1(load.latencyMs.p50),
            f1(load.latencyMs.p95),
            `${f1(load.drainAfterWritesSeconds)} s`,
            load.ok ? "all passed" : load.problems.join("; "),
          ],
        ],
      ),
      "",
      `Creates ${load.byKind.create}, updates ${load.byKind.update}, deletes ${load.byKind.delete}; ${load.survivors} entries survive. ` +
        "Checks: zero 5xx, zero lost writes, queue empty, counts reconcile, every listener got embed_complete for every survivor's final hash.",
    );
  } else out.push(failed("load test", results.scenarios.load) ?? "");
  if (results.scenarios.corpus !== undefined) out.push("", ...corpusSection(results));
  out.push("");
  return out.join("\n");
}

function corpusSection(results: BenchResults): string[] {
  const corpus = ok(results.scenarios.corpus);
  const head = ["## Real corpus (`--corpus`)", ""];
  if (corpus) return [...head, ...renderCorpus(corpus)];
  return [...head, failed("corpus", results.scenarios.corpus) ?? ""];
}

/** The real-corpus section of the results markdown (`--corpus DIR...`). */
import type { CorpusResult } from "../scenarios/corpus.js";

const f1 = (value: number) => value.toFixed(1);
const mb = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function reasons(counts: Record<string, number>): string[] {
  const list = Object.entries(counts);
  if (list.length === 0) return ["- none"];
  return list.map(([reason, n]) => `- ${n} × ${reason.replaceAll("|", "\\|")}`);
}

/** Renders the corpus scenario's figures. */
export function renderCorpus(c: CorpusResult): string[] {
  const { import: imp, drain, reimport } = c;
  const out: string[] = [];
  out.push(
    `Corpus: **${c.corpus.name}** (${c.corpus.license}): ${imp.kbs} KBs, ${imp.files} markdown files, ` +
      `${mb(imp.bytes)} MiB. Server: EMBED_MODE background, EMBED_BATCH_SIZE ${c.batchSize}.`,
    "",
  );
  const drainNote = drain.complete
    ? `${drain.done} done, ${drain.failed} failed`
    : `**cut off after ${drain.timeoutSeconds} s** (partial): ${drain.done} done, ` +
      `${drain.pending + drain.processing} still queued, ${drain.failed} failed`;
  const fresh = "skipped" in c.freshness ? undefined : c.freshness;
  out.push(
    table(
      ["Measure", "Figure"],
      [
        [
          "Import (worker paused): files read → entries imported / skipped",
          `${imp.files} → ${imp.imported} / ${imp.skipped}`,
        ],
        [
          "Import time (read + send)",
          `${f1(imp.seconds)} s (read ${f1(imp.readSeconds)} s, send ${f1(imp.sendSeconds)} s)`,
        ],
        [
          "Import throughput",
          `${f1(imp.entriesPerSec)} entries/s, ${imp.mbPerSec.toFixed(2)} MiB/s (sending alone ${f1(imp.sendEntriesPerSec)} entries/s)`,
        ],
        ["Drain", `${imp.queued} queued; ${drainNote} in ${f1(drain.seconds)} s`],
        [
          "Drain throughput (pipeline)",
          `${f1(drain.entriesPerSec)} entries/s${drain.complete ? "" : " (partial)"}`,
        ],
        [
          `Raw embedder, same batch size, ${drain.rawSampleTexts}-text sample`,
          drain.rawTextsPerSec === null || drain.ratio === null
            ? `not measured: the embedder refused the sample (${drain.rawError ?? "?"})`
            : `${f1(drain.rawTextsPerSec)} texts/s (pipeline / raw ${drain.ratio.toFixed(2)})`,
        ],
        ["Truncated at the 256-token window (status)", `${drain.truncated} of ${drain.done}`],
        [
          "Re-import, nothing changed",
          `${f1(reimport.seconds)} s: ${reimport.unchanged} unchanged, ${reimport.created} created, ` +
            `${reimport.updated} updated, ${reimport.queued} queued`,
        ],
        fresh
          ? [
              `Freshness, PATCH ack → embed_complete (${fresh.samples} samples) p50 / p95`,
              `${f1(fresh.ackToEventMs.p50)} / ${f1(fresh.ackToEventMs.p95)} ms`,
            ]
          : ["Freshness", `not measured: ${"skipped" in c.freshness ? c.freshness.skipped : ""}`],
        ...(fresh
          ? [
              [
                "Raw single-text embed, same texts, p50 / p95",
                `${f1(fresh.rawSingleEmbedMs.p50)} / ${f1(fresh.rawSingleEmbedMs.p95)} ms`,
              ],
            ]
          : []),
      ],
    ),
    "",
    `Embedded text (title, summary, body): mean ${drain.meanChars.corpus} characters over the corpus, ` +
      `${drain.meanChars.rawSample} over the raw sample. Peak RSS during the drain: workerd ` +
      `${f1(drain.memory.workerd?.peakRssMiB ?? Number.NaN)} MiB, launcher/embedder ` +
      `${f1(drain.memory.launcher?.peakRssMiB ?? Number.NaN)} MiB; CPU ms/entry workerd ` +
      `${f1(drain.cpuMsPerEntry.workerd ?? Number.NaN)}, launcher ${f1(drain.cpuMsPerEntry.launcher ?? Number.NaN)}.`,
    "",
    ...(drain.failed > 0
      ? [`The worker's last embedding error: \`${JSON.stringify(drain.lastError)}\`.`, ""]
      : []),
    "Skipped, by reason:",
    "",
    ...reasons(imp.skippedByReason),
    "",
    `Imported with a warning (${imp.warnings}), by kind:`,
    "",
    ...reasons(imp.warningsByKind),
    "",
    table(
      ["KB", "Files", "Imported", "Skipped", "Warnings"],
      c.perKb.map((kb) => [
        kb.name,
        String(kb.files),
        String(kb.imported),
        String(kb.skipped),
        String(kb.warnings),
      ]),
    ),
  );
  return out;
}

/**
 * Printing: JSON for machines (`--json`), tables for people; progress and notes on stderr. All the
 * CLI's output goes through here, so nothing the server holds can drive the user's terminal.
 */
import Table from "cli-table3";

/**
 * Characters a terminal acts on rather than shows: C0 controls but tab and newline (ESC starts
 * the sequences that retitle windows, move the cursor, clear the screen or write the clipboard;
 * CR overwrites the line), DEL, C1 controls (U+009B is a one-character CSI), and the bidi
 * overrides and isolates that reorder what a line appears to say. Entries and error strings come
 * from the server, i.e. from whoever wrote them: they reach the terminal only without these.
 */
const TERMINAL_CONTROLS = /[^\P{Cc}\t\n]|[\u202a-\u202e\u2066-\u2069]/gu;
/**
 * Those of them left raw in JSON.stringify's text: it escapes C0 in strings itself, so the only
 * newlines left are its own layout.
 */
const RAW_IN_JSON = /[^\P{Cc}\n]|[\u202a-\u202e\u2066-\u2069]/gu;

/** `text` without terminal control characters (see TERMINAL_CONTROLS). */
function stripControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, "");
}

/** Prints `value` as JSON on stdout: every string's value intact, no raw control character. */
export function printJson(value: unknown): void {
  const json = JSON.stringify(value, null, 2).replace(
    RAW_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  process.stdout.write(`${json}\n`);
}

/** Prints a line on stdout, without terminal control characters. */
export function println(line = ""): void {
  process.stdout.write(`${stripControls(line)}\n`);
}

/** Prints a note on stderr (never mixed into machine output), without control characters. */
export function note(line: string): void {
  process.stderr.write(`${stripControls(line)}\n`);
}

/** A table with a header row. */
export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  // Stripped before layout too, so the table measures what will be shown.
  for (const row of rows) t.push(row.map((cell) => stripControls(String(cell))));
  return t.toString();
}

/** A two-column key/value table. */
export function keyValues(rows: [string, string | number][]): string {
  const t = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of rows) t.push({ [key]: stripControls(String(value)) });
  return t.toString();
}

/** Shortens `text` to `max` characters on one line. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A duration in ms as a short human string. */
export function duration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

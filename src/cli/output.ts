/** Printing: JSON for machines (`--json`), tables for people; progress and notes on stderr. */
import Table from "cli-table3";

/** Prints `value` as JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints a line on stdout. */
export function println(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** Prints a note on stderr (never mixed into machine output). */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A table with a header row. */
export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map((cell) => String(cell)));
  return t.toString();
}

/** A two-column key/value table. */
export function keyValues(rows: [string, string | number][]): string {
  const t = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of rows) t.push({ [key]: String(value) });
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

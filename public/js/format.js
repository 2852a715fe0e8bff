// @ts-check
/** Small formatting helpers for numbers, times and durations. */

const numberFormat = new Intl.NumberFormat("en");

/** @param {number | null | undefined} n */
export function count(n) {
  return typeof n === "number" ? numberFormat.format(n) : "–";
}

/** @param {number} ms a non-negative duration */
export function duration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/**
 * "12 s ago" / "in 3 s" relative to now.
 * @param {string | null | undefined} iso
 */
export function relative(iso) {
  if (!iso) return "–";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "–";
  const delta = at - Date.now();
  if (Math.abs(delta) < 1000) return "now";
  return delta < 0 ? `${duration(-delta)} ago` : `in ${duration(delta)}`;
}

/** @param {string | number | Date} at */
export function clock(at) {
  return new Date(at).toLocaleTimeString(undefined, { hour12: false });
}

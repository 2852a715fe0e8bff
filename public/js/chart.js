// @ts-check
/**
 * The queue-depth chart: pending, processing and failed over the last minutes, drawn as inline
 * SVG sized to its container (so its text never stretches).
 */

const SVG = "http://www.w3.org/2000/svg";
const SERIES = /** @type {const} */ (["pending", "processing", "failed"]);
const PAD = { top: 12, right: 12, bottom: 24, left: 40 };
const MIN_HEIGHT = 210;

/**
 * @param {string} name
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 */
function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The smallest "nice" bound (1, 2, 4, 5 × 10^n) at or above `n`, at least 4. @param {number} n */
function niceMax(n) {
  const target = Math.max(4, n);
  const magnitude = 10 ** Math.floor(Math.log10(target));
  for (const step of [1, 2, 4, 5, 10]) if (step * magnitude >= target) return step * magnitude;
  return 10 * magnitude;
}

/** Whole-number gridlines: four intervals where the bound divides by 4, else five. @param {number} max */
function ticks(max) {
  const intervals = max % 4 === 0 ? 4 : 5;
  return Array.from({ length: intervals + 1 }, (_, i) => (max / intervals) * i);
}

/**
 * @typedef {{ t: number, pending: number, processing: number, failed: number }} Sample
 * @param {HTMLElement} container
 * @param {Sample[]} samples oldest first
 * @param {number} windowMs how far back the x axis reaches
 * @param {number} now
 */
export function renderChart(container, samples, windowMs, now) {
  const width = Math.max(280, container.clientWidth);
  const height = Math.max(MIN_HEIGHT, container.clientHeight);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const start = now - windowMs;
  const visible = samples.filter((s) => s.t >= start - 5000);
  const max = niceMax(Math.max(0, ...visible.flatMap((s) => SERIES.map((k) => s[k]))));
  const x = (/** @type {number} */ t) => PAD.left + ((t - start) / windowMs) * plotW;
  const y = (/** @type {number} */ v) => PAD.top + plotH - (v / max) * plotH;

  const svg = el("svg", {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": "Queue depth over the last minutes",
  });
  const clip = el("clipPath", { id: "plot-clip" });
  clip.append(el("rect", { x: PAD.left, y: 0, width: plotW, height }));
  svg.append(clip);

  for (const value of ticks(max)) {
    const yy = y(value);
    svg.append(
      el("line", {
        x1: PAD.left,
        x2: width - PAD.right,
        y1: yy,
        y2: yy,
        class: value === 0 ? "axis" : "gridline",
      }),
      el("text", { x: PAD.left - 8, y: yy + 4, class: "tick", "text-anchor": "end" }, `${value}`),
    );
  }
  // Five or six time labels: every 15 s, 30 s, 1 min or 2 min, whichever fits.
  const step = [15_000, 30_000, 60_000, 120_000].find((ms) => windowMs / ms <= 5) ?? 120_000;
  for (let back = Math.floor(windowMs / step) * step; back >= 0; back -= step) {
    const label =
      back === 0 ? "now" : back % 60_000 === 0 ? `−${back / 60_000} min` : `−${back / 1000} s`;
    svg.append(
      el(
        "text",
        { x: x(now - back), y: height - 6, class: "tick", "text-anchor": "middle" },
        label,
      ),
    );
  }

  if (visible.length > 0) {
    const plot = el("g", { "clip-path": "url(#plot-clip)" });
    const last = visible[visible.length - 1];
    for (const key of SERIES) {
      // Steps, not slopes: a count holds its value until the next sample.
      let d = "";
      visible.forEach((s, i) => {
        d += i === 0 ? `M${x(s.t)},${y(s[key])}` : `H${x(s.t)}V${y(s[key])}`;
      });
      if (last) d += `H${x(now)}`;
      if (key === "pending" && last) {
        const first = visible[0];
        const area = `${d}V${y(0)}H${first ? x(first.t) : 0}Z`;
        plot.append(el("path", { d: area, class: "area area-pending" }));
      }
      plot.append(el("path", { d, class: `line line-${key}` }));
    }
    svg.append(plot);
  } else {
    svg.append(
      el(
        "text",
        { x: PAD.left + plotW / 2, y: PAD.top + plotH / 2, class: "tick", "text-anchor": "middle" },
        "collecting samples…",
      ),
    );
  }
  container.replaceChildren(svg);
}

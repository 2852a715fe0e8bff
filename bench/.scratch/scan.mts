const n = 100_000, dims = 384;
const data = new Float32Array(n * dims).map(() => Math.random() - 0.5);
const q = new Float32Array(dims).map(() => Math.random() - 0.5);
function scan(k: number) {
  const topScores = new Float64Array(k).fill(-Infinity);
  const topSlots = new Int32Array(k).fill(-1);
  for (let slot = 0; slot < n; slot++) {
    let dot = 0; const base = slot * dims;
    for (let d = 0; d < dims; d++) dot += (q[d] as number) * (data[base + d] as number);
    if (dot <= (topScores[k - 1] as number)) continue;
    let i = k - 1;
    while (i > 0 && (topScores[i - 1] as number) < dot) { topScores[i] = topScores[i - 1] as number; topSlots[i] = topSlots[i - 1] as number; i--; }
    topScores[i] = dot; topSlots[i] = slot;
  }
  return topSlots;
}
function scan4(k: number) {
  const topScores = new Float64Array(k).fill(-Infinity);
  for (let slot = 0; slot < n; slot++) {
    let a = 0, b = 0, c = 0, e = 0; const base = slot * dims;
    for (let d = 0; d < dims; d += 4) { a += q[d]! * data[base + d]!; b += q[d+1]! * data[base + d+1]!; c += q[d+2]! * data[base + d+2]!; e += q[d+3]! * data[base + d+3]!; }
    const dot = a + b + c + e;
    if (dot <= topScores[k - 1]!) continue;
    let i = k - 1; while (i > 0 && topScores[i - 1]! < dot) { topScores[i] = topScores[i - 1]!; i--; } topScores[i] = dot;
  }
}
for (const [name, f] of [["plain", scan], ["unroll4", scan4]] as const) {
  for (let r = 0; r < 3; r++) f(20);
  const t = performance.now(); for (let r = 0; r < 10; r++) f(20); console.log(name, ((performance.now() - t) / 10).toFixed(1), "ms");
}
function scan8(k: number) {
  const topScores = new Float64Array(k).fill(-Infinity);
  for (let slot = 0; slot < n; slot++) {
    let a = 0, b = 0, c = 0, e = 0, f = 0, g = 0, h = 0, m = 0; const base = slot * dims;
    for (let d = 0; d < dims; d += 8) { const o = base + d; a += q[d]! * data[o]!; b += q[d+1]! * data[o+1]!; c += q[d+2]! * data[o+2]!; e += q[d+3]! * data[o+3]!; f += q[d+4]! * data[o+4]!; g += q[d+5]! * data[o+5]!; h += q[d+6]! * data[o+6]!; m += q[d+7]! * data[o+7]!; }
    const dot = a + b + c + e + f + g + h + m;
    if (dot <= topScores[k - 1]!) continue;
    let i = k - 1; while (i > 0 && topScores[i - 1]! < dot) { topScores[i] = topScores[i - 1]!; i--; } topScores[i] = dot;
  }
}
for (let r = 0; r < 3; r++) scan8(20);
{ const t = performance.now(); for (let r = 0; r < 10; r++) scan8(20); console.log("unroll8", ((performance.now() - t) / 10).toFixed(1), "ms"); }

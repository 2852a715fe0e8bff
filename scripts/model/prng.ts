/**
 * A tiny seeded PRNG, so the generated test model is byte-for-byte reproducible on any machine
 * (Math.random cannot be seeded).
 */

/** mulberry32: 32-bit state, uniform floats in [0, 1). Plenty for weight init, not for crypto. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box-Muller on top of a uniform source (the spare value is kept). */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    // 1 - u keeps the argument of log strictly positive.
    const u = 1 - uniform();
    const v = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

/** FNV-1a over a string's UTF-16 code units: derives an independent seed per tensor name. */
export function seedFromName(name: string, baseSeed: number): number {
  let hash = 0x811c9dc5 ^ baseSeed;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

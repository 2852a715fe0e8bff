import { describe, expect, it } from "vitest";
import { assertValidOutput } from "../../../src/embedder/validate.js";

const v = (...values: number[]) => Float32Array.from(values);

describe("assertValidOutput", () => {
  it("accepts a well-formed batch", () => {
    expect(() =>
      assertValidOutput({ vectors: [v(1, 0), v(0, 1)], truncated: [1] }, 2, 2),
    ).not.toThrow();
  });

  it("rejects a wrong count, a wrong length, NaN, Infinity and a bad truncated index", () => {
    expect(() => assertValidOutput({ vectors: [v(1, 0)], truncated: [] }, 2, 2)).toThrow(
      /1 vectors for 2 texts/,
    );
    expect(() => assertValidOutput({ vectors: [v(1, 0, 0)], truncated: [] }, 1, 2)).toThrow(
      /3-dimension vector for text 0/,
    );
    expect(() => assertValidOutput({ vectors: [v(1, Number.NaN)], truncated: [] }, 1, 2)).toThrow(
      /non-finite value \(NaN\)/,
    );
    expect(() =>
      assertValidOutput({ vectors: [v(Number.POSITIVE_INFINITY, 0)], truncated: [] }, 1, 2),
    ).toThrow(/Infinity/);
    expect(() => assertValidOutput({ vectors: [v(1, 0)], truncated: [3] }, 1, 2)).toThrow(
      /truncation of text 3/,
    );
  });
});

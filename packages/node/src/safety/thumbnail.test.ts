import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { thumbnail } from "./thumbnail.ts";

describe("safety thumbnail", () => {
  it("averages each cell, rounding, for sides that divide and sides that do not", () => {
    // 2×2 → 1×1: the mean of each channel.
    const rgb = Uint8Array.from([0, 10, 255, 1, 20, 255, 2, 30, 0, 3, 41, 0]);
    assert.deepEqual([...thumbnail(rgb, 2, 2, 1)], [2, 25, 128]);
    // 3×1 → 2×1: cells [0,1) and [1,3).
    const row = Uint8Array.from([10, 10, 10, 20, 20, 20, 40, 40, 40]);
    assert.deepEqual([...thumbnail(row, 3, 1, 2)].slice(0, 6), [10, 10, 10, 30, 30, 30]);
  });

  it("an image smaller than the thumbnail repeats its pixels", () => {
    const one = Uint8Array.from([7, 8, 9]);
    assert.ok(thumbnail(one, 1, 1, 4).every((v, i) => v === [7, 8, 9][i % 3]));
  });
});

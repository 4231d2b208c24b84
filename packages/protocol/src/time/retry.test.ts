import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextDelay, withRetry } from "./retry.ts";

describe("nextDelay and withRetry", () => {
  it("doubles from the first delay up to the cap", () => {
    const delays: number[] = [];
    let delay = 0;
    for (let i = 0; i < 6; i++) {
      delay = nextDelay(delay, { firstMs: 250, maxMs: 3000 });
      delays.push(delay);
    }
    assert.deepEqual(delays, [250, 500, 1000, 2000, 3000, 3000]);
    assert.equal(nextDelay(0, { firstMs: 5000, maxMs: 100 }), 100);
  });

  it("retries what shouldRetry allows, with the delays asked, and returns the success", async () => {
    const seen: [number, number][] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 4) throw new Error(`try ${calls}`);
        return "done";
      },
      { shouldRetry: () => true, delay: (attempt) => attempt, onRetry: (_e, attempt, ms) => seen.push([attempt, ms]) },
    );
    assert.equal(value, "done");
    assert.deepEqual(seen, [
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
  });

  it("throws at once what is not retryable, and onTimeout's error past the deadline", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new Error("final");
        },
        { shouldRetry: (e) => (e as Error).message !== "final" },
      ),
      /final/,
    );
    assert.equal(calls, 1);
    await assert.rejects(
      withRetry(
        async () => {
          throw new Error("again");
        },
        {
          shouldRetry: () => true,
          delay: () => 60_000,
          deadline: Date.now() + 1000,
          onTimeout: () => new Error("timed out"),
        },
      ),
      /timed out/,
    );
  });

  it("stops with the signal's reason when aborted while waiting", async () => {
    const controller = new AbortController();
    const run = withRetry(
      async () => {
        throw new Error("again");
      },
      { shouldRetry: () => true, delay: () => 60_000, signal: controller.signal },
    );
    controller.abort(new Error("shutdown"));
    await assert.rejects(run, /shutdown/);
  });
});

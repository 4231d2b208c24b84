import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { wakeableSleep } from "./wait.ts";

describe("wakeableSleep", () => {
  it("ends at wake() and clears its timer (a day-long one would otherwise keep this test running)", async () => {
    const nap = wakeableSleep(24 * 3600 * 1000);
    nap.wake();
    await nap.done;
  });

  it("takes delays past the timer limit without firing at once", async () => {
    const nap = wakeableSleep(2 ** 40);
    const fired = await Promise.race([nap.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
    assert.equal(fired, false);
    nap.wake();
  });

  it("rejects with the signal's reason when it aborts, before or during the sleep", async () => {
    const early = new AbortController();
    early.abort(new Error("early"));
    await assert.rejects(wakeableSleep(1000, early.signal).done, /early/);
    const late = new AbortController();
    const nap = wakeableSleep(24 * 3600 * 1000, late.signal);
    late.abort(new Error("late"));
    await assert.rejects(nap.done, /late/);
  });
});

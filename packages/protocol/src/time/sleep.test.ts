import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pause, sleep, Wakeup, wakeableSleep } from "./sleep.ts";

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

describe("sleep, pause and Wakeup", () => {
  it("sleep rejects with the abort's reason; pause resolves", async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    const paused = pause(60_000, controller.signal);
    controller.abort(new Error("stop"));
    await assert.rejects(slept, /stop/);
    await paused;
  });

  it("a wake rung while the loop is busy is kept for its next wait", async () => {
    const bell = new Wakeup();
    const signal = new AbortController().signal;
    const first = (wait: Promise<void>) =>
      Promise.race([
        wait.then(() => "woken"),
        new Promise((resolve) => setTimeout(() => resolve("timer"), 5_000).unref()),
      ]);
    bell.wake();
    assert.equal(await first(bell.wait(60_000, signal)), "woken", "the earlier wake was kept");
    const waiting = bell.wait(60_000, signal);
    bell.wake();
    assert.equal(await first(waiting), "woken");
    bell.wake();
    bell.clear();
    const cleared = await Promise.race([
      bell.wait(50, signal).then(() => "timer"),
      new Promise((resolve) => setTimeout(() => resolve("late"), 5_000).unref()),
    ]);
    assert.equal(cleared, "timer");
  });

  it("Wakeup.wait returns when the signal aborts, without throwing", async () => {
    const controller = new AbortController();
    const waiting = new Wakeup().wait(60_000, controller.signal);
    controller.abort();
    await waiting;
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RelayError } from "@hydrogen/protocol";
import { TimeoutError } from "./errors.ts";
import { retryAfterMs, retryRelay, wakeableSleep } from "./wait.ts";

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

describe("retryRelay and rate limits", () => {
  const limited = (seconds: unknown) =>
    new RelayError("RELAY_RATE_LIMITED", "slow down", { retry_after_seconds: seconds });

  it("reads the wait a 429 asks for, and nothing from other errors or nonsense", () => {
    assert.equal(retryAfterMs(limited(7)), 7000);
    assert.equal(retryAfterMs(limited(1e9)), 3_600_000);
    for (const bad of [-1, "7", Number.NaN, undefined]) assert.equal(retryAfterMs(limited(bad)), 0);
    assert.equal(retryAfterMs(new RelayError("RELAY_UNAVAILABLE")), 0);
    assert.equal(retryAfterMs(new Error("x")), 0);
  });

  it("gives up at once when Retry-After runs past its deadline, instead of hammering the relay", async () => {
    let calls = 0;
    await assert.rejects(
      retryRelay(
        async () => {
          calls++;
          throw limited(60);
        },
        { what: "an image", timeoutMs: 5_000, maxIntervalMs: 100 },
      ),
      TimeoutError,
    );
    assert.equal(calls, 1);
  });
});

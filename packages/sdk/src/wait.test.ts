import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RelayError } from "@hydrogen/protocol";
import { TimeoutError } from "./errors.ts";
import { retryAfterMs, retryRelay } from "./wait.ts";

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

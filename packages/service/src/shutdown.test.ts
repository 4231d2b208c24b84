import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Shutdown } from "./shutdown.ts";

describe("Shutdown", () => {
  it("aborts the signal first, then closes newest first, each awaited", async () => {
    const order: string[] = [];
    const shutdown = new Shutdown();
    shutdown.add("database", () => order.push(`database (aborted ${shutdown.signal.aborted})`));
    shutdown.add("http", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push("http");
    });
    assert.equal(shutdown.closed, false);
    await shutdown.close();
    assert.deepEqual(order, ["http", "database (aborted true)"]);
    assert.equal(shutdown.closed, true);
  });

  it("is idempotent: a second close waits for the first and runs nothing twice", async () => {
    let runs = 0;
    const shutdown = new Shutdown();
    shutdown.add("once", async () => {
      runs++;
    });
    await Promise.all([shutdown.close(), shutdown.close()]);
    await shutdown.close();
    assert.equal(runs, 1);
  });

  it("reports a failing step and still runs the others", async () => {
    const failures: string[] = [];
    const closed: string[] = [];
    const shutdown = new Shutdown((step, error) => failures.push(`${step}: ${(error as Error).message}`));
    shutdown.add("first", () => closed.push("first"));
    shutdown.add("broken", () => {
      throw new Error("boom");
    });
    await shutdown.close();
    assert.deepEqual(failures, ["broken: boom"]);
    assert.deepEqual(closed, ["first"]);
  });

  it("a failed start closes what it had opened and rethrows", async () => {
    const closed: string[] = [];
    const shutdown = new Shutdown();
    shutdown.add("socket", () => closed.push("socket"));
    await assert.rejects(
      shutdown.guard(async () => {
        throw new Error("listen EADDRINUSE");
      }),
      /EADDRINUSE/,
    );
    assert.deepEqual(closed, ["socket"]);
    assert.equal(shutdown.closed, true);
  });

  it("something registered after close started is closed at once", async () => {
    const closed: string[] = [];
    const shutdown = new Shutdown();
    await shutdown.close();
    shutdown.add("late", () => closed.push("late"));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(closed, ["late"]);
  });
});

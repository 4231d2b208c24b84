import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** Runs one fixture under `node --test` with the watchdog, as the packages' test scripts do. */
function runFixture(fixture, graceMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", here("./test-watchdog.mjs"), "--test", here(fixture)], {
      // Without the outer runner's NODE_TEST_CONTEXT, the inner `node --test` runs as its own runner.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, HYDROGEN_TEST_EXIT_GRACE_MS: String(graceMs) },
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("test watchdog", () => {
  it("fails a file whose process outlives its last test, naming the file and what holds it", {
    timeout: 30_000,
  }, async () => {
    const { code, output } = await runFixture("./fixtures/leaks-a-timer.fixture.mjs", 300);
    assert.notEqual(code, 0);
    assert.match(output, /test-watchdog: .*leaks-a-timer\.fixture\.mjs did not exit 300 ms after its last test/);
    assert.match(output, /still open: .*Timeout/);
  });

  it("lets a clean file pass, starting only after its own after() hooks have ended", {
    timeout: 30_000,
  }, async () => {
    // The fixture's after() hook takes 800 ms, longer than the grace.
    const { code, output } = await runFixture("./fixtures/exits.fixture.mjs", 300);
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /test-watchdog/);
  });
});

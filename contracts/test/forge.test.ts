/**
 * The Solidity fuzz and invariant suites (forge/*.t.sol) under forge, offline, compiled by
 * solc-js (scripts/solc-js.cjs): at least 1,000 runs × depth 50 here (foundry.toml);
 * `npm run fuzz` runs 10,000. Prints forge's per-test counts and its table of handler calls.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function forge(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["forge", ...args], { cwd: root, env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("forge fuzz and invariant suites", () => {
  it("hold for 1,000 runs × depth 50 of every actor, and 1,000 fuzz runs each", async () => {
    const { code, output } = await forge(["test", "--offline"]);
    // The counts and the handler-call coverage, for the log (docs/contracts.md quotes them).
    const summary = output
      .split("\n")
      .filter((line) => /^\[(PASS|FAIL)|^\| Handler|Suite result|runs:|FAIL/.test(line));
    console.log(summary.join("\n"));
    assert.equal(code, 0, output.slice(-4000));
    for (const line of summary.filter((l) => l.startsWith("[PASS] invariant_"))) {
      const runs = Number(/runs: (\d+)/.exec(line)?.[1]);
      const calls = Number(/calls: (\d+)/.exec(line)?.[1]);
      assert.ok(runs >= 1000 && calls >= runs * 50, line);
    }
    assert.ok(summary.filter((l) => l.startsWith("[PASS] invariant_")).length >= 7, "every invariant ran");
    assert.ok(summary.some((l) => l.startsWith("[PASS] testFuzz_drawsThreeDistinctAvailableNodes")));
  });
});

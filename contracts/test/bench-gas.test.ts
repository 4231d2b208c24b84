import assert from "node:assert/strict";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { runBenchSmoke } from "../../tools/bench-smoke.ts";

it("bench:gas runs in its smoke mode and prints its JSON keys", { timeout: 180_000 }, async (t) => {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const result = await runBenchSmoke("bench/gas.ts", { cwd, signal: t.signal });
  assert.deepEqual(Object.keys(result).sort(), [
    "createTaskByNodes",
    "functions",
    "paths",
    "perExtraImage",
    "successfulTask",
  ]);
  const task = result.successfulTask as { total: number; transactions: number };
  assert.ok(task.total > 0 && task.transactions === 8, JSON.stringify(task));
});

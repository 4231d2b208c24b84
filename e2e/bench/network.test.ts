import assert from "node:assert/strict";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { runBenchSmoke } from "../../tools/bench-smoke.ts";

it("bench:network runs every scenario in its smoke mode and prints its JSON keys", { timeout: 300_000 }, async (t) => {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const result = await runBenchSmoke("bench/network.ts", { cwd, signal: t.signal });
  assert.deepEqual(Object.keys(result).sort(), ["blocks2s", "light", "saturation"]);
  const saturation = result.saturation as Record<string, unknown>;
  for (const key of ["lost", "completed", "tasksPerSecond", "cpuMsPerTask", "latencyMs"])
    assert.ok(key in saturation, key);
  assert.deepEqual(Object.keys(saturation.cpuMsPerTask as object).sort(), ["anvil", "apps", "nodes", "relay"]);
  const light = result.light as { completed: number; latencyMs: { p50: number; p99: number } };
  assert.ok(light.completed > 0 && light.latencyMs.p50 > 0, JSON.stringify(light));
  const blocks = result.blocks2s as { completed: number; latencyMs: { p50: number } };
  assert.ok(blocks.completed > 0 && blocks.latencyMs.p50 > 0, JSON.stringify(blocks));
});

import assert from "node:assert/strict";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { runBenchSmoke } from "../../../tools/bench-smoke.ts";

it("bench:node runs in its smoke mode and prints its JSON keys", { timeout: 180_000 }, async (t) => {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const result = await runBenchSmoke("bench/node.ts", { cwd, signal: t.signal });
  assert.deepEqual(Object.keys(result).sort(), [
    "idleRssMb",
    "overheadMs",
    "safetyFirstImageMs",
    "safetyMsPerImage",
    "steadyRssMb",
  ]);
  assert.ok((result.steadyRssMb as number) > 0);
});

import assert from "node:assert/strict";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { runBenchSmoke } from "../../../tools/bench-smoke.ts";

it("bench:phash runs in its smoke mode and prints its JSON keys", { timeout: 120_000 }, async (t) => {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const result = await runBenchSmoke("bench/phash.ts", { cwd, signal: t.signal });
  assert.deepEqual(Object.keys(result).sort(), ["imageBytes", "medianMs", "p95Ms", "runs"]);
  assert.ok((result.medianMs as number) > 0);
});

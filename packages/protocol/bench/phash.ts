/**
 * pHash benchmark: milliseconds per 512×512 RGB PNG, decode included, median of many runs.
 * `npm run bench:phash` (add `-- --json` for one JSON object). Target: ≤ 15 ms on 2 cores.
 */
import { phashPng } from "../src/phash/phash.ts";
import { samplePng } from "../src/phash/png-writer.ts";

/** `-- --smoke`: a few runs, to prove the script still works (npm test does). */
const RUNS = process.argv.includes("--smoke") ? 4 : 200;

const png = samplePng();
for (let i = 0; i < Math.min(20, RUNS); i++) phashPng(png); // warm-up (JIT)
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = process.hrtime.bigint();
  phashPng(png);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
const median = (times[RUNS / 2 - 1] as number) / 2 + (times[RUNS / 2] as number) / 2;
const result = {
  runs: RUNS,
  imageBytes: png.length,
  medianMs: Number(median.toFixed(2)),
  p95Ms: Number((times[Math.floor(RUNS * 0.95)] as number).toFixed(2)),
};
if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(
    `pHash of a 512×512 RGB PNG (${png.length} bytes), decode included, ${RUNS} runs:\n` +
      `  median ${result.medianMs} ms, p95 ${result.p95Ms} ms (target ≤ 15 ms)\n`,
  );
}

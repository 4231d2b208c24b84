/**
 * The node's own overhead and memory (issue 5):
 *
 *   npm run bench:node [-- --json] [-- --tasks N]
 *
 * Starts anvil with the contracts, a relay and three `hydrogen-node` processes on the
 * synthetic engine, runs N one-image tasks one after another, and reads each node's timing
 * marks. Overhead = (commit sent − arguments fetched) − engine, safety-checker and pHash time, the median
 * over every node and task. RSS is read from /proc for the node processes: idle (joined, no
 * task yet) and steady (the largest sample while tasks run).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startNetwork } from "@hydrogen/devnet";
import { taskArgs } from "../test/helpers/args.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    tasks: { type: "string", default: "20" },
    /** Two tasks and a short idle wait, to prove the script still works (npm test does). */
    smoke: { type: "boolean", default: false },
  },
});
const tasks = values.smoke ? 2 : Number(values.tasks);

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : 0;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const net = await startNetwork({ nodeConfig: () => ({ log: { level: "warn" } }) });
try {
  await new Promise((resolve) => setTimeout(resolve, values.smoke ? 500 : 3000));
  const idle = Math.max(...net.nodes.map((node) => rssMb(node.process?.pid)));
  let steady = 0;
  const sampler = setInterval(() => {
    for (const node of net.nodes) steady = Math.max(steady, rssMb(node.process?.pid));
  }, 100);
  const overheads: number[] = [];
  const phash: number[] = [];
  const engine: number[] = [];
  const safety: number[] = [];
  const safetyFirst: number[] = [];
  for (let i = 0; i < tasks; i++) {
    const { taskId } = await net.createTask(taskArgs({ images: 1, size: 512, seed: 1000 + i }));
    for (const node of net.nodes) {
      const t = (await net.settled(node, taskId)).timings as Record<string, number>;
      const engineMs = (t.engineEnd ?? 0) - (t.engineStart ?? 0);
      const safetyMs = (t.checked ?? 0) - (t.engineEnd ?? 0);
      const hashMs = (t.hashed ?? 0) - (t.checked ?? 0);
      overheads.push((t.commitSent ?? 0) - (t.argsFetched ?? 0) - engineMs - safetyMs - hashMs);
      phash.push(hashMs);
      engine.push(engineMs);
      // The first task of each node also loads the classifier: counted apart.
      (i === 0 ? safetyFirst : safety).push(safetyMs);
    }
  }
  clearInterval(sampler);
  const result = {
    overheadMs: Math.round(median(overheads) * 10) / 10,
    idleRssMb: Math.round(idle),
    steadyRssMb: Math.round(steady),
    safetyMsPerImage: median(safety),
    safetyFirstImageMs: median(safetyFirst),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `node overhead per 1-image task (args fetched → commit sent, minus engine and pHash), median of ${overheads.length}: ${result.overheadMs} ms (target ≤ 50)`,
        `  max ${Math.max(...overheads)} ms; pHash median ${median(phash)} ms; synthetic engine median ${median(engine)} ms (512×512)`,
        `safety checker per 512×512 image, median: ${result.safetyMsPerImage} ms (the first, loading the classifier: ${result.safetyFirstImageMs} ms)`,
        `node RSS idle: ${result.idleRssMb} MB, steady: ${result.steadyRssMb} MB (target ≤ 150; the classifier's worker included)`,
        "",
      ].join("\n"),
    );
  }
} finally {
  await net.stop();
}

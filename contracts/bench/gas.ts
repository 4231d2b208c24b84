/**
 * Gas benchmark (not a test): `npm run bench:gas` prints a table, `-- --json` one JSON object.
 * Either way the table is written to contracts/gas-snapshot.txt, which is committed.
 * `-- --smoke` runs every path once at small scale, to prove the script still works (npm test
 * does); its figures are not warm and it leaves the snapshot alone.
 *
 * Warm state: 10 EOA nodes joined, and tasks of the measured size run until every node has
 * been a task's first discloser, so the figures are those of a running network, not of
 * first-ever storage writes.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FEE, Status, setupChain } from "@hydrogen/testnet";
import type { Address } from "viem";
import { deployFactory, measureCreateTask, prepareScale, type ScaleReport } from "./scale.ts";
import { runCancelledTask, runErrorTask, runNodeActions, runPermitTask, runTask, Samples } from "./scenarios.ts";

const smoke = process.argv.includes("--smoke");
const RUNS = smoke ? 1 : 12;
/** Runs of the slash, abort, error, cancel and multi-image paths. */
const PATH_RUNS = smoke ? 1 : 5;
const SCALE_RUNS = smoke ? 1 : 30;
const SCALES = smoke ? ([10, 20] as const) : ([10, 1_000, 10_000] as const);
/** Warm-up tasks at most, per image count. */
const WARM_UP_TASKS = smoke ? 1 : 100;
const TARGET_TOTAL = 585_000;
const ANVIL_ARGS = ["--gas-limit", "2000000000"];

const json = process.argv.includes("--json");
const progress = (message: string) => {
  if (!json) process.stderr.write(`… ${message}\n`);
};
const mean = (values: bigint[][]) =>
  Math.round(values.reduce((sum, gas) => sum + Number(gas.reduce((a, b) => a + b, 0n)), 0) / values.length);

async function measureTasks(samples: Samples) {
  const c = await setupChain({ accounts: 20, anvilArgs: ANVIL_ARGS });
  try {
    const nodes = c.nodes.slice(0, 10);
    for (const node of nodes) {
      const joined = await c.join(node);
      samples.add("join (first time)", joined.gasUsed);
    }
    // Until every node has been the first discloser (whose result is stored) of a task this size.
    const warmUp = async (images: number) => {
      progress(`warming up with ${images}-image tasks`);
      const stored = new Set<Address>();
      for (let i = 0; i < WARM_UP_TASKS && stored.size < nodes.length; i++) {
        const { nodes: drawn } = await runTask(c, samples, { images, record: false });
        stored.add(drawn[0] as Address);
      }
    };
    await warmUp(1);
    progress("successful tasks");
    const totals: Record<string, number> = {};
    const run = async (key: string, times: number, f: () => Promise<bigint[]>) => {
      const all: bigint[][] = [];
      for (let i = 0; i < times; i++) all.push(await f());
      totals[key] = mean(all);
    };
    await run("success", RUNS, async () => (await runTask(c, samples)).gas);
    await warmUp(9);
    for (const images of [4, 9]) {
      await run(
        `success ${images} images`,
        PATH_RUNS,
        async () => (await runTask(c, samples, { images, prefix: `${images} images: ` })).gas,
      );
    }
    progress("slash, abort, error and cancel paths");
    await run("slash", PATH_RUNS, async () => (await runTask(c, samples, { outcome: "slash", prefix: "slash: " })).gas);
    await run(
      "abort",
      PATH_RUNS,
      async () => (await runTask(c, samples, { outcome: "disagree", prefix: "abort: " })).gas,
    );
    await run("error", PATH_RUNS, () => runErrorTask(c, samples));
    await run("cancel", PATH_RUNS, () => runCancelledTask(c, samples));
    for (let i = 0; i < 3; i++) await runPermitTask(c, samples);
    // Slashed nodes have left: use one still Available (anvil account 4 + its position).
    let position = 0;
    while ((await c.status(nodes[position] as Address)) !== Status.Available) position++;
    await runNodeActions(c, samples, nodes[position] as Address, 4 + position);
    samples.add("setFeePerNode", (await c.tm.send(c.deployer, "setFeePerNode", FEE * 2n)).gasUsed);
    samples.add("setDistanceThreshold", (await c.tm.send(c.deployer, "setDistanceThreshold", 6n)).gasUsed);
    samples.add("setTaskTimeout", (await c.tm.send(c.deployer, "setTaskTimeout", 600n)).gasUsed);
    return totals;
  } finally {
    await c.stop();
  }
}

async function measureScale(samples: Samples): Promise<ScaleReport[]> {
  const c = await setupChain({ accounts: 5, anvilArgs: ANVIL_ARGS });
  try {
    const factory = await deployFactory(c);
    const reports: ScaleReport[] = [];
    for (const joined of SCALES) {
      progress(`createTask with ${joined} joined nodes`);
      reports.push(await prepareScale(c, factory, joined));
      await measureCreateTask(c, samples, `createTask @${joined}`, SCALE_RUNS);
    }
    return reports;
  } finally {
    await c.stop();
  }
}

function table(samples: Samples, totals: Record<string, number>, scale: ScaleReport[]): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (n: number) => n.toLocaleString("en-US").padStart(11);
  const lines = ["Hydrogen gas benchmark (gasUsed per transaction, mean of runs; anvil, solc 0.8.37 via-IR)", ""];
  lines.push("function                                     gas");
  for (const name of samples.names().filter((n) => !n.includes(":") && !n.startsWith("createTask @"))) {
    lines.push(`${pad(name, 40)}${num(samples.mean(name))}`);
  }
  lines.push("", "path (all transactions)                      gas");
  const perExtraImage = Math.round(((totals["success 9 images"] ?? 0) - (totals.success ?? 0)) / 8);
  for (const [name, value] of Object.entries(totals)) lines.push(`${pad(name, 40)}${num(value)}`);
  lines.push(`${pad("per extra image", 40)}${num(perExtraImage)}`);
  lines.push("", "createTask by joined nodes (all but 3 busy)   gas");
  for (const report of scale) {
    const label = `${report.joined} joined (${report.busy} busy, ${report.paused} paused)`;
    lines.push(`${pad(label, 40)}${num(samples.mean(`createTask @${report.joined}`))}`);
  }
  const first = samples.mean(`createTask @${SCALES[0]}`);
  const last = samples.mean(`createTask @${SCALES[SCALES.length - 1]}`);
  lines.push(
    "",
    `successful 1-image task: ${totals.success} gas (target ≤ ${TARGET_TOTAL}: ${(totals.success ?? 0) <= TARGET_TOTAL ? "met" : "MISSED"})`,
    `createTask at 10,000 vs 10 nodes: ${(((last - first) / first) * 100).toFixed(2)}% (target within 2%)`,
    `per extra image: ${perExtraImage} gas (target ≤ 10,000)`,
  );
  return lines.join("\n");
}

async function main() {
  const samples = new Samples();
  const totals = await measureTasks(samples);
  const scale = await measureScale(samples);
  const text = table(samples, totals, scale);
  if (!smoke) writeFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "gas-snapshot.txt"), `${text}\n`);
  if (!json) {
    process.stdout.write(`${text}\n`);
    return;
  }
  const functions: Record<string, number> = {};
  for (const name of samples.names().filter((n) => !n.includes(":") && !n.startsWith("createTask @"))) {
    functions[name] = samples.mean(name);
  }
  const output = {
    functions,
    successfulTask: { total: totals.success, transactions: 8 },
    paths: totals,
    createTaskByNodes: Object.fromEntries(SCALES.map((n) => [String(n), samples.mean(`createTask @${n}`)])),
    perExtraImage: Math.round(((totals["success 9 images"] ?? 0) - (totals.success ?? 0)) / 8),
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:gas failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

/**
 * `npm run bench:network [-- --json] [-- --scenarios saturation,light,blocks2s] [-- --smoke]`:
 * a network of real processes (anvil, the relay, synthetic nodes doing no work) driven by
 * applications using the SDK. Three scenarios, each a key of the JSON (docs/e2e.md lists them):
 * - saturation: 30 nodes, 10 closed-loop applications, 500 tasks, instant mining: throughput,
 *   losses and the CPU each component spends per task (latency here follows from throughput by
 *   Little's law: 10 applications / tasks per second);
 * - light: one application, one task at a time, 30 tasks, on the same network before the load:
 *   the latency of a task that waits for nothing but the protocol;
 * - blocks2s: 12 nodes, 3 applications, 20 tasks with 2-second blocks.
 * `--smoke` shrinks every scenario to a few tasks, to prove the script still works (npm test).
 * Every figure comes from the run.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, setPriority } from "node:os";
import { parseArgs } from "node:util";
import { cnxAbi } from "@hydrogen/protocol";
import {
  getTaskEvents,
  type HydrogenClient,
  NotEnoughNodesError,
  RUN_TASK_PHASES,
  type RunTaskPhase,
  runTask,
} from "@hydrogen/sdk";
import { type Hash, maxUint256 } from "viem";
import { type Network, smallArgs, startNetwork } from "../helpers/network.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    scenarios: { type: "string", default: "saturation,light,blocks2s" },
    /** The saturation scenario's tasks, nodes and applications. */
    tasks: { type: "string", default: "500" },
    nodes: { type: "string", default: "30" },
    apps: { type: "string", default: "10" },
    "light-tasks": { type: "string", default: "30" },
    "slow-tasks": { type: "string", default: "20" },
    /** Tasks run before the measured ones, not counted: each process's first calls are compiled then. Default: one per application. */
    warmup: { type: "string" },
    /**
     * Scheduling niceness of the node processes. Here 30 nodes share 2 cores with the relay
     * and the chain, which in a real network run on machines of their own; at equal priority
     * the scheduler gives those two shared services 2 of every 32 time slices, and every task
     * waits on them. 0 runs everything at equal priority.
     */
    "node-nice": { type: "string", default: "10" },
    /** How often each node polls the chain when no new-block notification came. */
    "chain-poll-ms": { type: "string", default: "1000" },
    /** How often a node's open task re-reads the chain when no event woke it (the node's default). */
    "task-poll-ms": { type: "string", default: "2000" },
  },
});
const say = (line: string) => {
  if (!values.json) process.stdout.write(`${line}\n`);
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th, in ticks of 10 ms.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds used so far by each kind of process of the network (and by this process: the applications). */
function cpuByRole(network: Network): Record<string, number> {
  const usage = process.cpuUsage();
  return {
    nodes: network.nodes.reduce((sum, n) => sum + cpuSeconds(n.service.process?.pid), 0),
    relay: cpuSeconds(network.relay.process?.pid),
    anvil: cpuSeconds(network.chain.anvil.process.pid),
    apps: (usage.user + usage.system) / 1e6,
  };
}

function rssMb(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

interface LoadResult {
  completed: number;
  lost: number;
  /** createTask refused because every node was busy, and tried again. */
  busyRetries: number;
  seconds: number;
  latencies: number[];
  /** Milliseconds from createTask to each phase (runTask's timings), per completed task. */
  phases: Partial<Record<RunTaskPhase, number>>[];
  taskIds: bigint[];
  errors: string[];
}

/** A busy application approves the TaskManager once instead of signing a permit per task. */
async function approveOnce(apps: HydrogenClient[]): Promise<void> {
  await Promise.all(
    apps.map(async (app) => {
      const wallet = app.walletClient;
      if (!wallet) throw new Error("the bench's applications need a wallet");
      const hash = await wallet.writeContract({
        address: app.contracts.CNX,
        abi: cnxAbi,
        functionName: "approve",
        args: [app.contracts.TaskManager, maxUint256],
        account: wallet.account,
        chain: wallet.chain,
      });
      await app.publicClient.waitForTransactionReceipt({ hash });
    }),
  );
}

/** Twice the devnet's 60-second task timeout. */
const TASK_LIMIT_MS = 120_000;

async function load(network: Network, total: number, firstSeed = 0): Promise<LoadResult> {
  let next = 0;
  const result: LoadResult = {
    completed: 0,
    lost: 0,
    busyRetries: 0,
    seconds: 0,
    latencies: [],
    phases: [],
    taskIds: [],
    errors: [],
  };
  const started = performance.now();
  await Promise.all(
    network.apps.map(async (app) => {
      while (next < total) {
        const seed = firstSeed + next++;
        for (let attempt = 0; ; attempt++) {
          const t0 = performance.now();
          try {
            // A task that has not ended well past its deadline is lost: the run stops by itself.
            const run = await runTask(app, {
              // The protocol's throughput: the safety checker's cost is bench:node's to measure.
              args: { ...smallArgs(seed), task_config: { ...smallArgs(seed).task_config, safety_checker: false } },
              cancelAfterDeadline: false,
              signal: AbortSignal.timeout(TASK_LIMIT_MS),
            });
            result.latencies.push(performance.now() - t0);
            result.phases.push(run.timings);
            result.taskIds.push(run.taskId);
            result.completed++;
          } catch (error) {
            // Every node busy: what an application does is wait a little and create the task again.
            if (error instanceof NotEnoughNodesError && attempt < 100) {
              result.busyRetries++;
              await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** Math.min(attempt, 4)));
              continue;
            }
            result.lost++;
            if (result.errors.length < 5) result.errors.push((error as Error).message.split("\n")[0] as string);
          }
          break;
        }
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  result.latencies.sort((a, b) => a - b);
  return result;
}

/** p50 / p95 of the time from the call to each phase: where a slow task spent its time. */
function phasePercentiles(phases: Partial<Record<RunTaskPhase, number>>[]): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const phase of RUN_TASK_PHASES) {
    const times = phases.map((p) => p[phase]).filter((t): t is number => t !== undefined);
    times.sort((a, b) => a - b);
    if (times.length) out[phase] = [Math.round(percentile(times, 50)), Math.round(percentile(times, 95))];
  }
  return out;
}

/** Gas of every transaction a task caused: createTask and the nodes' commits, disclosures, reports. */
async function gasPerTask(network: Network, taskIds: bigint[]): Promise<number> {
  const sample = taskIds.slice(0, 100);
  let gas = 0n;
  for (const taskId of sample) {
    const events = await getTaskEvents(network.app, { taskId });
    const hashes = [...new Set(events.map((e) => e.transactionHash))] as Hash[];
    const receipts = await Promise.all(hashes.map((hash) => network.app.publicClient.getTransactionReceipt({ hash })));
    gas += receipts.reduce((sum, r) => sum + r.gasUsed, 0n);
  }
  return sample.length ? Number(gas / BigInt(sample.length)) : Number.NaN;
}

const smoke = values.smoke;
const scenarios = new Set(values.scenarios.split(","));
const tasks = smoke ? 3 : Number(values.tasks);
const nodes = smoke ? 3 : Number(values.nodes);
const apps = smoke ? 1 : Number(values.apps);
const lightTasks = smoke ? 2 : Number(values["light-tasks"]);
const slowTasks = smoke ? 1 : Number(values["slow-tasks"]);
const chainPollMs = Number(values["chain-poll-ms"]);
const taskPollMs = Number(values["task-poll-ms"]);
const nodeNice = Number(values["node-nice"]);
/** Lowers the node processes' scheduling priority (see `--node-nice`). */
const niceNodes = (of: Network) => {
  for (const n of of.nodes) if (n.service.process?.pid) setPriority(n.service.process.pid, nodeNice);
};
const round = (ms: number) => Math.round(ms);
const latency = (sorted: number[]) => ({
  p50: round(percentile(sorted, 50)),
  p95: round(percentile(sorted, 95)),
  p99: round(percentile(sorted, 99)),
});

/** CPU milliseconds per completed task of each component between two readings. */
function cpuPerTask(before: Record<string, number>, after: Record<string, number>, completed: number) {
  return Object.fromEntries(
    Object.entries(after).map(([role, s]) => [
      role,
      Math.round(((s - (before[role] ?? 0)) * 1000) / Math.max(1, completed)),
    ]),
  );
}

const summary: Record<string, unknown> = {};

if (scenarios.has("saturation") || scenarios.has("light")) {
  say(`starting ${nodes} node processes, the relay and anvil (instant mining)…`);
  const network = await startNetwork({
    nodes,
    apps,
    logLevel: process.env.BENCH_LOG_LEVEL ?? "warn",
    chainPollMs,
    taskPollMs,
    appWebSocket: true,
  });
  niceNodes(network);
  try {
    await approveOnce(network.apps);
    const warmupTasks = Number(values.warmup ?? apps);
    say(`warm-up: ${warmupTasks} tasks, not counted…`);
    const warmup = await load(network, warmupTasks, 1_000_000);
    say(
      `warm-up: ${warmup.completed} completed, ${warmup.lost} lost, slowest ${round(warmup.latencies.at(-1) ?? 0)} ms (node processes at nice ${nodeNice})`,
    );
    if (scenarios.has("light")) {
      say(`\nlight: one application, ${lightTasks} tasks one at a time…`);
      const cpuBefore = cpuByRole(network);
      const result = await load({ ...network, apps: network.apps.slice(0, 1) }, lightTasks, 2_000_000);
      summary.light = {
        completed: result.completed,
        lost: result.lost,
        latencyMs: latency(result.latencies),
        phasesMs: phasePercentiles(result.phases),
        cpuMsPerTask: cpuPerTask(cpuBefore, cpuByRole(network), result.completed),
        errors: result.errors,
      };
      const l = summary.light as { latencyMs: { p50: number; p99: number } };
      say(
        `completed ${result.completed}, lost ${result.lost}; createTask sent → images verified: p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms (targets ≤ 200, ≤ 400)`,
      );
      say(
        `by phase, ms from the call [p50, p95]: ${JSON.stringify((summary.light as { phasesMs: unknown }).phasesMs)}`,
      );
    }
    if (scenarios.has("saturation")) {
      say(`\nsaturation: ${apps} applications submit ${tasks} tasks…`);
      const cpuBefore = cpuByRole(network);
      const result = await load(network, tasks);
      const cpuMsPerTask = cpuPerTask(cpuBefore, cpuByRole(network), result.completed);
      const gas = await gasPerTask(network, result.taskIds);
      const nodeRss = network.nodes.map((n) => rssMb(n.service.process?.pid));
      const tasksPerSecond = Number((result.completed / result.seconds).toFixed(2));
      summary.saturation = {
        lost: result.lost + warmup.lost,
        completed: result.completed,
        tasksPerSecond,
        cpuMsPerTask,
        latencyMs: latency(result.latencies),
        phasesMs: phasePercentiles(result.phases),
        gasPerTask: gas,
        busyRetries: result.busyRetries,
        relayRssMb: round(rssMb(network.relay.process?.pid)),
        nodeRssMb: {
          mean: round(nodeRss.reduce((a, b) => a + b, 0) / nodeRss.length),
          max: round(Math.max(...nodeRss)),
        },
        errors: [...warmup.errors, ...result.errors],
        warmup: {
          completed: warmup.completed,
          lost: warmup.lost,
          latencyMs: { max: round(warmup.latencies.at(-1) ?? Number.NaN) },
        },
        nodeNice,
      };
      say(
        `completed ${result.completed}, lost ${result.lost} in ${result.seconds.toFixed(1)} s: ${tasksPerSecond} tasks/s (createTask retried ${result.busyRetries} times while every node was busy)`,
      );
      say(
        `CPU time per task, ms: ${JSON.stringify(cpuMsPerTask)} (relay target ≤ 10; the machine has ${availableParallelism()} cores)`,
      );
      const l = latency(result.latencies);
      say(
        `latency (follows from throughput with ${apps} closed-loop applications): p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms`,
      );
      say(`gas per task (create, 3 commits, 3 disclosures, upload report): ${gas}`);
      const sat = summary.saturation as { relayRssMb: number; nodeRssMb: unknown };
      say(`memory: relay ${sat.relayRssMb} MB RSS; nodes ${JSON.stringify(sat.nodeRssMb)} MB RSS`);
      if (result.errors.length) say(`errors: ${result.errors.join(" | ")}`);
    }
  } finally {
    await network.stop();
  }
}

if (scenarios.has("blocks2s")) {
  const slowNodes = smoke ? 3 : 12;
  const slowApps = smoke ? 1 : 3;
  say(`\nblocks2s: 2-second blocks, ${slowTasks} tasks, ${slowApps} applications, ${slowNodes} nodes…`);
  const slow = await startNetwork({
    nodes: slowNodes,
    apps: slowApps,
    logLevel: "warn",
    chainPollMs,
    taskPollMs,
    appWebSocket: true,
    anvilArgs: ["--block-time", "2"],
  });
  niceNodes(slow);
  try {
    await approveOnce(slow.apps);
    const result = await load(slow, slowTasks);
    summary.blocks2s = {
      completed: result.completed,
      lost: result.lost,
      latencyMs: latency(result.latencies),
      phasesMs: phasePercentiles(result.phases),
    };
    const l = latency(result.latencies);
    say(
      `completed ${result.completed}, lost ${result.lost}; latency p50 ${l.p50} ms (target ≤ 6,500), p95 ${l.p95} ms`,
    );
  } finally {
    await slow.stop();
  }
}
if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);

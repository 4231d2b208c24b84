/**
 * `npm run bench:network [-- --json] [-- --tasks N] [-- --nodes N] [-- --apps N]`: a network of
 * real processes (anvil with instant mining, the relay, synthetic nodes doing no work) under
 * load from concurrent applications using the SDK; then the latency with 2-second blocks.
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
import { smallArgs, startNetwork } from "../helpers/network.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    tasks: { type: "string", default: "500" },
    nodes: { type: "string", default: "30" },
    apps: { type: "string", default: "10" },
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
function cpuByRole(network: Awaited<ReturnType<typeof startNetwork>>): Record<string, number> {
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

async function load(
  network: Awaited<ReturnType<typeof startNetwork>>,
  total: number,
  firstSeed = 0,
): Promise<LoadResult> {
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
              args: smallArgs(seed),
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
async function gasPerTask(network: Awaited<ReturnType<typeof startNetwork>>, taskIds: bigint[]): Promise<number> {
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

const tasks = Number(values.tasks);
const nodes = Number(values.nodes);
const apps = Number(values.apps);
say(`starting ${nodes} node processes, the relay and anvil (instant mining)…`);
const chainPollMs = Number(values["chain-poll-ms"]);
const taskPollMs = Number(values["task-poll-ms"]);
const network = await startNetwork({
  nodes,
  apps,
  logLevel: process.env.BENCH_LOG_LEVEL ?? "warn",
  chainPollMs,
  taskPollMs,
  appWebSocket: true,
});
const nodeNice = Number(values["node-nice"]);
/** Lowers the node processes' scheduling priority (see `--node-nice`). */
const niceNodes = (of: typeof network) => {
  for (const n of of.nodes) if (n.service.process?.pid) setPriority(n.service.process.pid, nodeNice);
};
niceNodes(network);
let summary: Record<string, unknown>;
try {
  await approveOnce(network.apps);
  const warmupTasks = Number(values.warmup ?? apps);
  say(`warm-up: ${warmupTasks} tasks, not counted…`);
  const warmup = await load(network, warmupTasks, 1_000_000);
  say(`${apps} applications submit ${tasks} tasks…`);
  const cpuBefore = cpuByRole(network);
  const result = await load(network, tasks);
  const cpuAfter = cpuByRole(network);
  const gas = await gasPerTask(network, result.taskIds);
  const nodeRss = network.nodes.map((n) => rssMb(n.service.process?.pid));
  summary = {
    lost: result.lost + warmup.lost,
    completed: result.completed,
    tasksPerSecond: Number((result.completed / result.seconds).toFixed(2)),
    latencyMs: {
      p50: Math.round(percentile(result.latencies, 50)),
      p95: Math.round(percentile(result.latencies, 95)),
      p99: Math.round(percentile(result.latencies, 99)),
    },
    gasPerTask: gas,
    phasesMs: phasePercentiles(result.phases),
    cpuMsPerTask: Object.fromEntries(
      Object.entries(cpuAfter).map(([role, s]) => [
        role,
        Math.round(((s - (cpuBefore[role] ?? 0)) * 1000) / Math.max(1, result.completed)),
      ]),
    ),
    busyRetries: result.busyRetries,
    relayRssMb: Math.round(rssMb(network.relay.process?.pid)),
    nodeRssMb: {
      mean: Math.round(nodeRss.reduce((a, b) => a + b, 0) / nodeRss.length),
      max: Math.round(Math.max(...nodeRss)),
    },
    errors: [...warmup.errors, ...result.errors],
    warmup: {
      completed: warmup.completed,
      lost: warmup.lost,
      latencyMs: { max: Math.round(warmup.latencies.at(-1) ?? Number.NaN) },
    },
    nodeNice,
  };
  say(
    `warm-up: ${warmup.completed} completed, ${warmup.lost} lost, slowest ${Math.round(warmup.latencies.at(-1) ?? 0)} ms (node processes at nice ${nodeNice})`,
  );
  say(
    `completed ${result.completed}, lost ${result.lost} in ${result.seconds.toFixed(1)} s: ${summary.tasksPerSecond} tasks/s (createTask retried ${result.busyRetries} times while every node was busy)`,
  );
  say(
    `latency createTask sent → images verified: p50 ${(summary.latencyMs as { p50: number }).p50} ms, p95 ${(summary.latencyMs as { p95: number }).p95} ms, p99 ${(summary.latencyMs as { p99: number }).p99} ms`,
  );
  say(
    `CPU time per task, ms: ${JSON.stringify(summary.cpuMsPerTask)} (the machine has ${availableParallelism()} cores)`,
  );
  say(`by phase, ms from the call [p50, p95]: ${JSON.stringify(summary.phasesMs)}`);
  say(`gas per task (create, 3 commits, 3 disclosures, upload report): ${gas}`);
  say(`memory: relay ${summary.relayRssMb} MB RSS; nodes ${JSON.stringify(summary.nodeRssMb)} MB RSS`);
  if (result.errors.length) say(`errors: ${result.errors.join(" | ")}`);
} finally {
  await network.stop();
}

const slowTasks = Number(values["slow-tasks"]);
say(`\nwith 2-second blocks: ${slowTasks} tasks, 3 applications, 12 nodes…`);
const slow = await startNetwork({
  nodes: 12,
  apps: 3,
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
  summary.blockTime2s = {
    completed: result.completed,
    lost: result.lost,
    latencyMs: { p50: Math.round(percentile(result.latencies, 50)), p95: Math.round(percentile(result.latencies, 95)) },
  };
  say(
    `completed ${result.completed}, lost ${result.lost}; latency p50 ${Math.round(percentile(result.latencies, 50))} ms, p95 ${Math.round(percentile(result.latencies, 95))} ms`,
  );
} finally {
  await slow.stop();
}
if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);

import { nodeRegistryAbi } from "@hydrogen/protocol";
import { type Address, parseEventLogs } from "viem";
import type { HydrogenClient } from "../client.ts";
import { taskManagerCallAbi } from "../contract-errors.ts";
import { readLogsPaged } from "../paged-logs.ts";
import { type GetNodeStatusReturnType, getNodeStatus } from "./getNodeStatus.ts";

export interface GetNetworkStatsParameters {
  /** Default: the deployment block. */
  fromBlock?: bigint;
  /** At most this many recent tasks are listed (all are counted). Default 500. */
  recentTasks?: number;
  /**
   * Read each joined node's status and stake from the chain (a few calls per node). Default
   * true; a caller that takes the nodes from the relay's index (`listRelayNodes`) passes false
   * and gets `nodes: []`.
   */
  withNodes?: boolean;
}

/** How a task ended, or `open` while it runs. */
export type TaskOutcome = "open" | "success" | "completed" | "cancelled" | "errorReported" | "resultsDisagree";

export interface NetworkTask {
  taskId: bigint;
  createdBlock: bigint;
  /** Unix seconds of the creation block. */
  createdAt: number;
  outcome: TaskOutcome;
}

export interface NetworkSlash {
  node: Address;
  amount: bigint;
  blockNumber: bigint;
  taskId?: bigint;
}

export interface GetNetworkStatsReturnType {
  blockNumber: bigint;
  /** Every node that ever joined, with its current status and stake. */
  nodes: GetNodeStatusReturnType[];
  availableNodes: number;
  stakeAmount: bigint;
  feePerNode: bigint;
  totalStaked: bigint;
  tasks: { total: number; byOutcome: Record<TaskOutcome, number>; recent: NetworkTask[] };
  slashes: NetworkSlash[];
}

/**
 * The whole network at a glance, from the contracts' state and events: nodes and their stakes,
 * tasks and how they ended, slashes.
 *
 * @example
 * const stats = await getNetworkStats(client);
 * stats.tasks.byOutcome.completed
 */
export async function getNetworkStats(
  client: HydrogenClient,
  parameters: GetNetworkStatsParameters = {},
): Promise<GetNetworkStatsReturnType> {
  const { publicClient, contracts } = client;
  const fromBlock = parameters.fromBlock ?? client.deploymentBlock;
  const blockNumber = await publicClient.getBlockNumber({ cacheTime: 0 });
  const range = { fromBlock, toBlock: blockNumber };
  const [registryLogs, taskLogs, available, stakeAmount, feePerNode] = await Promise.all([
    readLogsPaged(client, { address: contracts.NodeRegistry }, range.fromBlock, range.toBlock),
    readLogsPaged(client, { address: contracts.TaskManager }, range.fromBlock, range.toBlock),
    publicClient.readContract({
      address: contracts.NodeRegistry,
      abi: nodeRegistryAbi,
      functionName: "availableNodeCount",
    }),
    publicClient.readContract({ address: contracts.NodeRegistry, abi: nodeRegistryAbi, functionName: "stakeAmount" }),
    publicClient.readContract({ address: contracts.TaskManager, abi: taskManagerCallAbi, functionName: "feePerNode" }),
  ]);
  const registryEvents = parseEventLogs({ abi: nodeRegistryAbi, logs: registryLogs });
  const taskEvents = parseEventLogs({ abi: taskManagerCallAbi, logs: taskLogs });

  const addresses = [...new Set(registryEvents.flatMap((e) => (e.eventName === "NodeJoined" ? [e.args.node] : [])))];
  const nodes =
    parameters.withNodes === false ? [] : await Promise.all(addresses.map((node) => getNodeStatus(client, { node })));

  const tasks = new Map<bigint, { createdBlock: bigint; outcome: TaskOutcome }>();
  const slashedInTask = new Map<string, bigint>();
  for (const event of taskEvents) {
    const taskId = (event.args as { taskId?: bigint }).taskId;
    if (taskId === undefined) continue;
    const task = tasks.get(taskId);
    if (event.eventName === "TaskCreated") {
      if (!task) tasks.set(taskId, { createdBlock: event.blockNumber, outcome: "open" });
    } else if (task && event.eventName === "TaskSuccess") {
      task.outcome = "success";
    } else if (task && event.eventName === "TaskResultUploaded") {
      task.outcome = "completed";
    } else if (task && event.eventName === "TaskAborted") {
      task.outcome = (["cancelled", "errorReported", "resultsDisagree"] as const)[event.args.reason] ?? "cancelled";
    } else if (event.eventName === "NodeSlashedForTask") {
      slashedInTask.set(`${event.blockNumber}:${event.args.node}`, taskId);
    }
  }
  const slashes: NetworkSlash[] = registryEvents.flatMap((e) =>
    e.eventName === "NodeSlashed"
      ? [
          {
            node: e.args.node,
            amount: e.args.amount,
            blockNumber: e.blockNumber,
            taskId: slashedInTask.get(`${e.blockNumber}:${e.args.node}`),
          },
        ]
      : [],
  );

  const byOutcome: Record<TaskOutcome, number> = {
    open: 0,
    success: 0,
    completed: 0,
    cancelled: 0,
    errorReported: 0,
    resultsDisagree: 0,
  };
  for (const task of tasks.values()) byOutcome[task.outcome]++;
  const recentEntries = [...tasks.entries()].slice(-(parameters.recentTasks ?? 500));
  const times = await blockTimes(client, [...new Set(recentEntries.map(([, t]) => t.createdBlock))]);
  return {
    blockNumber,
    nodes,
    availableNodes: Number(available),
    stakeAmount: stakeAmount as bigint,
    feePerNode: feePerNode as bigint,
    totalStaked: nodes.reduce((sum, n) => sum + n.stake, 0n),
    tasks: {
      total: tasks.size,
      byOutcome,
      recent: recentEntries.map(([taskId, t]) => ({
        taskId,
        createdBlock: t.createdBlock,
        createdAt: times.get(t.createdBlock) ?? 0,
        outcome: t.outcome,
      })),
    },
    slashes,
  };
}

async function blockTimes(client: HydrogenClient, blocks: bigint[]): Promise<Map<bigint, number>> {
  const times = new Map<bigint, number>();
  // A few at a time: a public RPC endpoint rate-limits bursts.
  for (let i = 0; i < blocks.length; i += 20) {
    const batch = blocks.slice(i, i + 20);
    const found = await Promise.all(batch.map((blockNumber) => client.publicClient.getBlock({ blockNumber })));
    for (const block of found) times.set(block.number, Number(block.timestamp));
  }
  return times;
}

import type { TopicFilter } from "@hydrogen/chain";
import { taskManagerAbi } from "@hydrogen/protocol";
import { type Address, formatLog, type Hex, type Log, type PublicClient, pad, toEventSelector, toHex } from "viem";

const selector = (name: string): Hex =>
  toEventSelector(taskManagerAbi.find((item) => item.type === "event" && item.name === name) as never);

/** topic0 of TaskCreated(taskId, creator, selectedNode, …). */
export const TASK_CREATED: Hex = selector("TaskCreated");

/**
 * The task events after which a node has something to do (`applyBatch` acts on these and on
 * TaskCreated): not the other nodes' commitments, disclosures or error reports one by one.
 */
export const ACTIONABLE_TASK_EVENTS: readonly Hex[] = [
  "TaskResultCommitmentsReady",
  "TaskSuccess",
  "TaskAborted",
  "TaskResultUploaded",
  "NodePaid",
  "NodeSlashedForTask",
].map(selector);

/** The TaskCreated logs that select `node` (its address is their third indexed topic). */
const selectionsOf = (node: Address): TopicFilter[] => [TASK_CREATED, null, null, pad(node.toLowerCase() as Hex)];

/**
 * The log subscriptions that wake a node: the TaskCreated logs that select it, and each running
 * task's actionable events (one filter per task, so that a task starting or ending changes one
 * subscription and leaves the others be). `nodeLogReader` reads the rest of those blocks' logs.
 */
export function nodeLogFilters(node: Address, running: () => readonly bigint[]): () => TopicFilter[][] {
  const selections = selectionsOf(node);
  return () => [selections, ...running().map((taskId) => [[...ACTIONABLE_TASK_EVENTS], toHex(taskId, { size: 32 })])];
}

/**
 * Reads only the TaskManager logs that concern this node, filtered by the RPC node: first the
 * TaskCreated logs that select it (the selected node is their third indexed topic), then every
 * log of those tasks and of the ones it is running (the task id is the first indexed topic of
 * every task event). On a busy network that is a handful of logs where reading by address
 * alone would bring every task's.
 *
 * @example
 * const follower = new ChainFollower(options, { client, readLogs: nodeLogReader(client, taskManager, me, () => runner.running), … });
 */
export function nodeLogReader(
  client: PublicClient,
  taskManager: Address,
  node: Address,
  running: () => readonly bigint[],
): (range: { fromBlock: bigint; toBlock: bigint }) => Promise<Log[]> {
  const selections = selectionsOf(node);
  return async ({ fromBlock, toBlock }) => {
    const read = async (topics: TopicFilter[]) => {
      const logs = await client.request({
        method: "eth_getLogs",
        params: [{ address: taskManager, fromBlock: toHex(fromBlock), toBlock: toHex(toBlock), topics }],
      });
      return (logs as unknown as Parameters<typeof formatLog>[0][]).map((log) => formatLog(log) as Log);
    };
    const created = await read(selections);
    const tasks = new Set(running().map((taskId) => toHex(taskId, { size: 32 })));
    for (const log of created) if (log.topics[1]) tasks.add(log.topics[1]);
    if (tasks.size === 0) return created;
    // The tasks' own logs include the TaskCreated ones read first.
    return read([null, [...tasks]]);
  };
}

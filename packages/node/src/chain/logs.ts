import type { TopicFilter } from "@hydrogen/chain";
import { taskManagerAbi } from "@hydrogen/protocol";
import { type Address, formatLog, type Hex, type Log, type PublicClient, pad, toEventSelector, toHex } from "viem";

/** topic0 of TaskCreated(taskId, creator, selectedNode, …). */
export const TASK_CREATED: Hex = toEventSelector(
  taskManagerAbi.find((item) => item.type === "event" && item.name === "TaskCreated") as never,
);

type Topic = TopicFilter;

/**
 * The log subscriptions that match what `nodeLogReader` reads: the TaskCreated logs that select
 * this node, and each running task's logs (one filter per task, so that a task starting or
 * ending changes one subscription and leaves the others be).
 */
export function nodeLogFilters(node: Address, running: () => readonly bigint[]): () => TopicFilter[][] {
  const selected = pad(node.toLowerCase() as Hex);
  return () => [
    [TASK_CREATED, null, null, selected],
    ...running().map((taskId) => [null, toHex(taskId, { size: 32 })]),
  ];
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
  const selected = pad(node.toLowerCase() as Hex);
  return async ({ fromBlock, toBlock }) => {
    const read = async (topics: Topic[]) => {
      const logs = await client.request({
        method: "eth_getLogs",
        params: [{ address: taskManager, fromBlock: toHex(fromBlock), toBlock: toHex(toBlock), topics }],
      });
      return (logs as unknown as Parameters<typeof formatLog>[0][]).map((log) => formatLog(log) as Log);
    };
    const created = await read([TASK_CREATED, null, null, selected]);
    const tasks = new Set(running().map((taskId) => toHex(taskId, { size: 32 })));
    for (const log of created) if (log.topics[1]) tasks.add(log.topics[1]);
    if (tasks.size === 0) return created;
    // The tasks' own logs include the TaskCreated ones read first.
    return read([null, [...tasks]]);
  };
}

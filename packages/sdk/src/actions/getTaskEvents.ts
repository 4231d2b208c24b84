import type { Address, Hex } from "viem";
import { parseEventLogs } from "viem";
import type { HydrogenClient } from "../client.ts";
import { taskManagerCallAbi } from "../contract-errors.ts";
import { readLogsPaged } from "../paged-logs.ts";
import { taskLogFilter } from "../task-logs.ts";

/** One TaskManager event of a task, as the SDK reports progress. */
export type TaskEvent = { blockNumber: bigint; logIndex: number; transactionHash: Hex } & TaskEventBody;

/** The event's name and arguments. */
export type TaskEventBody =
  | { name: "TaskCreated"; node: Address; round: number; creator: Address }
  | { name: "TaskResultCommitmentSubmitted"; node: Address; round: number }
  | { name: "TaskErrorReported"; node: Address; round: number }
  | { name: "TaskResultCommitmentsReady" }
  | { name: "TaskResultDisclosed"; node: Address; round: number; result: Hex }
  | { name: "TaskSuccess"; result: Hex; resultNode: Address }
  | { name: "TaskAborted"; reason: number }
  | { name: "TaskResultUploaded"; resultNode: Address }
  | { name: "NodePaid"; node: Address; amount: bigint }
  | { name: "NodeSlashedForTask"; node: Address; round: number }
  | { name: "CreatorRefunded"; creator: Address; amount: bigint };

export interface GetTaskEventsParameters {
  taskId: bigint;
  fromBlock?: bigint;
  toBlock?: bigint;
}

/**
 * Every TaskManager event of one task in chain order: what happened to it, even after its
 * storage was deleted.
 *
 * @example
 * const events = await getTaskEvents(client, { taskId: 7n });
 */
export async function getTaskEvents(client: HydrogenClient, parameters: GetTaskEventsParameters): Promise<TaskEvent[]> {
  const toBlock = parameters.toBlock ?? (await client.publicClient.getBlockNumber({ cacheTime: 0 }));
  return readTaskEvents(client, parameters.taskId, parameters.fromBlock ?? client.deploymentBlock, toBlock);
}

/** The task's events in [fromBlock, toBlock]; every TaskManager event indexes `taskId` first. */
export async function readTaskEvents(
  client: HydrogenClient,
  taskId: bigint,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<TaskEvent[]> {
  // Raw eth_getLogs: viem's getLogs filters by one event's arguments, and every TaskManager
  // event of a task has the task id as its first indexed topic.
  return (await readEvents(client, taskLogFilter(client, taskId).topics, fromBlock, toBlock)).map((e) => e.event);
}

/**
 * TaskManager events matching `topics` in [fromBlock, toBlock], each with its task id, read in
 * ranges of at most the client's `maxLogRange` blocks (split further when the provider refuses).
 */
export async function readEvents(
  client: HydrogenClient,
  topics: (Hex | Hex[] | null)[],
  fromBlock: bigint,
  toBlock: bigint,
): Promise<{ taskId: bigint; event: TaskEvent }[]> {
  // Paged: public providers refuse wide ranges and large results.
  const logs = await readLogsPaged(client, { address: client.contracts.TaskManager, topics }, fromBlock, toBlock);
  const events: { taskId: bigint; event: TaskEvent }[] = [];
  for (const log of parseEventLogs({ abi: taskManagerCallAbi, logs, strict: false })) {
    const where = {
      blockNumber: log.blockNumber as bigint,
      logIndex: Number(log.logIndex),
      transactionHash: log.transactionHash as Hex,
    };
    const a = log.args as Record<string, unknown>;
    const event = toEvent(log.eventName, a);
    if (event) events.push({ taskId: a.taskId as bigint, event: { ...where, ...event } as TaskEvent });
  }
  return events;
}

function toEvent(name: string, a: Record<string, unknown>): TaskEventBody | undefined {
  const node = (a.node ?? a.selectedNode) as Address;
  const round = Number(a.round);
  switch (name) {
    case "TaskCreated":
      return { name, node, round, creator: a.creator as Address };
    case "TaskResultCommitmentSubmitted":
    case "TaskErrorReported":
    case "NodeSlashedForTask":
      return { name, node, round };
    case "TaskResultCommitmentsReady":
      return { name };
    case "TaskResultDisclosed":
      return { name, node, round, result: a.result as Hex };
    case "TaskSuccess":
      return { name, result: a.result as Hex, resultNode: a.resultNode as Address };
    case "TaskAborted":
      return { name, reason: Number(a.reason) };
    case "TaskResultUploaded":
      return { name, resultNode: a.resultNode as Address };
    case "NodePaid":
      return { name, node, amount: a.amount as bigint };
    case "CreatorRefunded":
      return { name, creator: a.creator as Address, amount: a.amount as bigint };
    default:
      return undefined;
  }
}

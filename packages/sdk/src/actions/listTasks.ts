import { ABORT_REASONS } from "@hydrogen/protocol";
import { type Address, encodeEventTopics, type Hex, numberToHex, pad } from "viem";
import { type HydrogenClient, requireWallet } from "../client.ts";
import { taskManagerCallAbi } from "../contract-errors.ts";
import type { AbortReason } from "../errors.ts";
import type { TaskPhase } from "./getTask.ts";
import { readEvents, type TaskEvent } from "./getTaskEvents.ts";

export interface ListTasksParameters {
  /** Whose tasks; the client's account by default. */
  creator?: Address;
  /** How far back to look, in blocks. Default 50,000. */
  blocks?: bigint;
  /** At most this many tasks, the most recent first. Default 20. */
  limit?: number;
  /** The largest block range one `eth_getLogs` asks for (public providers cap it). Default 5,000. */
  maxRange?: bigint;
}

export interface ListedTask {
  taskId: bigint;
  createdBlock: bigint;
  phase: TaskPhase;
  abortReason?: AbortReason;
  nodes: Address[];
  /** CNX paid to nodes and refunded to the creator so far. */
  paid: bigint;
  refunded: bigint;
}

export type ListTasksReturnType = ListedTask[];

const REASONS = ABORT_REASONS;

/**
 * An account's recent tasks from the chain's logs, newest first, with what became of them:
 * bounded reads only — `blocks` back from the latest block, in ranges of at most `maxRange`,
 * stopping once `limit` tasks are found.
 *
 * @example
 * const tasks = await listTasks(client, { limit: 10 });
 */
export async function listTasks(
  client: HydrogenClient,
  parameters: ListTasksParameters = {},
): Promise<ListTasksReturnType> {
  const creator = parameters.creator ?? requireWallet(client, "listTasks").account.address;
  const limit = parameters.limit ?? 20;
  const maxRange = parameters.maxRange ?? 5_000n;
  const latest = await client.publicClient.getBlockNumber({ cacheTime: 0 });
  const earliest = maxBig(client.deploymentBlock, latest - (parameters.blocks ?? 50_000n) + 1n);
  const [createdTopic] = encodeEventTopics({ abi: taskManagerCallAbi, eventName: "TaskCreated" });
  const created = new Map<bigint, TaskEvent[]>();
  for (let to = latest; to >= earliest && created.size < limit; to -= maxRange) {
    const from = maxBig(earliest, to - maxRange + 1n);
    const found = await readEvents(client, [createdTopic as Hex, null, pad(creator)], from, to);
    for (const { taskId, event } of found.reverse()) {
      if (!created.has(taskId) && created.size >= limit) continue;
      created.set(taskId, [...(created.get(taskId) ?? []), event]);
    }
  }
  if (created.size === 0) return [];
  const ids = [...created.keys()];
  const first = ids.reduce((low, id) => minBig(low, created.get(id)?.[0]?.blockNumber ?? low), latest);
  const byTask = new Map<bigint, TaskEvent[]>(ids.map((id) => [id, []]));
  const idTopics = ids.map((id) => numberToHex(id, { size: 32 }));
  for (let from = first; from <= latest; from += maxRange) {
    const found = await readEvents(client, [null, idTopics], from, minBig(latest, from + maxRange - 1n));
    for (const { taskId, event } of found) byTask.get(taskId)?.push(event);
  }
  return ids
    .map((taskId) => summarise(taskId, byTask.get(taskId) ?? []))
    .sort((a, b) => (a.taskId < b.taskId ? 1 : -1));
}

function summarise(taskId: bigint, events: TaskEvent[]): ListedTask {
  const aborted = events.find((e) => e.name === "TaskAborted");
  const phase: TaskPhase = aborted
    ? "Aborted"
    : events.some((e) => e.name === "TaskResultUploaded")
      ? "Completed"
      : events.some((e) => e.name === "TaskSuccess")
        ? "Success"
        : events.some((e) => e.name === "TaskResultCommitmentsReady")
          ? "CommitmentsReady"
          : "Created";
  const created = events.filter((e) => e.name === "TaskCreated");
  const sum = (name: "NodePaid" | "CreatorRefunded") =>
    events.reduce((total, e) => (e.name === name ? total + e.amount : total), 0n);
  return {
    taskId,
    createdBlock: created[0]?.blockNumber ?? 0n,
    phase,
    abortReason: aborted?.name === "TaskAborted" ? REASONS[aborted.reason] : undefined,
    nodes: [...created].sort((a, b) => a.round - b.round).map((e) => e.node),
    paid: sum("NodePaid"),
    refunded: sum("CreatorRefunded"),
  };
}

const maxBig = (a: bigint, b: bigint) => (a > b ? a : b);
const minBig = (a: bigint, b: bigint) => (a < b ? a : b);

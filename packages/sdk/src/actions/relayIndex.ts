import type {
  RelayIndexedNode,
  RelayIndexedTask,
  RelayNodeHistoryEntry,
  RelayStats,
  RelayTaskStatus,
  RelayTimelineEvent,
} from "@hydrogen/protocol";
import type { Address } from "viem";
import type { HydrogenClient } from "../client.ts";

export interface ListRelayTasksParameters {
  creator?: Address;
  node?: Address;
  /** The previous page's `next`. */
  before?: string;
  /** At most 100; default 20. */
  limit?: number;
}

export type ListRelayTasksReturnType = { tasks: RelayIndexedTask[]; next?: string };

/**
 * A page of the relay's task index, newest first: an account's tasks or a node's, with their
 * phase, without reading the chain's logs (the chain stays the source of truth for money and
 * images: `getTask`, `downloadImages` verify against it).
 *
 * @example
 * const { tasks, next } = await listRelayTasks(client, { creator: account, limit: 20 });
 */
export function listRelayTasks(
  client: HydrogenClient,
  parameters: ListRelayTasksParameters = {},
): Promise<ListRelayTasksReturnType> {
  return client.relay.listTasks(parameters);
}

/**
 * The network at a glance from the relay's index: tasks by phase, the last block it applied.
 *
 * @example
 * const { tasks, by_phase } = await getRelayStats(client);
 */
export function getRelayStats(client: HydrogenClient): Promise<RelayStats> {
  return client.relay.stats();
}

export interface WatchTaskPhasesParameters {
  taskId: bigint;
  onPhase(status: RelayTaskStatus): void;
  signal?: AbortSignal;
}

/**
 * Calls `onPhase` with the task's phase as the relay sees it, now and at each change (a
 * Server-Sent Events stream), until the task ends or `signal` aborts; resolves with the last.
 *
 * @example
 * await watchTaskPhases(client, { taskId, onPhase: ({ phase }) => console.log(phase) });
 */
export function watchTaskPhases(
  client: HydrogenClient,
  parameters: WatchTaskPhasesParameters,
): Promise<RelayTaskStatus | undefined> {
  return client.relay.streamTaskPhases(parameters.taskId, parameters.onPhase, { signal: parameters.signal });
}

/**
 * The task's chain events in order from the relay's index — selection, each node's commitment
 * or error report, disclosures, the outcome, payments and slashes — with blocks and
 * transaction hashes (a timeline to show; `getTaskEvents` reads the same from the chain).
 *
 * @example
 * const events = await getTaskTimeline(client, { taskId });
 */
export async function getTaskTimeline(
  client: HydrogenClient,
  parameters: { taskId: bigint },
): Promise<RelayTimelineEvent[]> {
  return (await client.relay.getTaskTimeline(parameters.taskId)).events;
}

export interface ListRelayNodesParameters {
  /** Only nodes of this status (Available, Busy, Paused, Quit…). */
  status?: string;
  /** The previous page's `next`. */
  after?: string;
  /** At most 100; default 20. */
  limit?: number;
}

/**
 * A page of the nodes the relay's index knows, in address order: status, stake, earnings,
 * slashes and missed tasks, summed from the NodeRegistry's and TaskManager's events.
 *
 * @example
 * const { nodes } = await listRelayNodes(client, { status: "Available" });
 */
export function listRelayNodes(
  client: HydrogenClient,
  parameters: ListRelayNodesParameters = {},
): Promise<{ nodes: RelayIndexedNode[]; next?: string }> {
  return client.relay.listNodes(parameters);
}

/**
 * One node's history from the relay's index, newest first: joins, status changes, payments,
 * every slash and missed task with its reason; with its summary.
 *
 * @example
 * const { node, events, next } = await getRelayNode(client, { address, limit: 50 });
 */
export async function getRelayNode(
  client: HydrogenClient,
  parameters: { address: Address; before?: string; limit?: number },
): Promise<{ node: RelayIndexedNode; events: RelayNodeHistoryEntry[]; next?: string }> {
  const { address, ...page } = parameters;
  const [node, history] = await Promise.all([
    client.relay.getNode(address),
    client.relay.getNodeHistory(address, page),
  ]);
  return { node, ...history };
}

import type { LogBatch } from "@hydrogen/chain";
import { taskManagerAbi } from "@hydrogen/protocol";
import { type Address, type Hex, isAddressEqual, type Log, pad, parseEventLogs } from "viem";
import type { NodeStore } from "../store/store.ts";
import { TASK_CREATED } from "./logs.ts";

const ABORT_REASONS = ["Cancelled", "ErrorReported", "ResultsDisagree"] as const;

export interface AppliedBatch {
  /** Tasks this node was newly selected for. */
  assigned: bigint[];
  /** Known tasks an event touched (their workers should look again). */
  touched: Set<bigint>;
  payments: { taskId: bigint; amount: bigint }[];
  slashes: bigint[];
}

/**
 * The logs that may concern this node, by their raw topics (every TaskManager task event has
 * the task id as its first topic; TaskCreated has the selected node as its third): on a busy
 * network most logs are other nodes' tasks, and decoding them all cost more than the rest.
 */
function concerning(store: NodeStore, node: Address, logs: Log[]): Log[] {
  const me = pad(node).toLowerCase();
  const created = new Set<string>();
  return logs.filter((log) => {
    const [selector, task, , selected] = log.topics;
    if (task === undefined) return false;
    if (selector === TASK_CREATED && selected?.toLowerCase() === me) {
      created.add(task.toLowerCase());
      return true;
    }
    return created.has(task.toLowerCase()) || store.hasTask(BigInt(task));
  });
}

/**
 * Applies a batch of TaskManager logs to the store with the new cursor, in one transaction.
 * Every write is idempotent: replaying a range changes nothing.
 */
export function applyBatch(store: NodeStore, node: Address, batch: LogBatch): AppliedBatch {
  const events = parseEventLogs({ abi: taskManagerAbi, logs: concerning(store, node, batch.logs), strict: false });
  const applied: AppliedBatch = { assigned: [], touched: new Set(), payments: [], slashes: [] };
  const me = (address: unknown) => typeof address === "string" && isAddressEqual(address as Address, node);
  // Most blocks of a busy network carry nothing for this node: they only move the cursor.
  const relevant = events.filter((event) => (event.args as Record<string, unknown>).taskId !== undefined);
  const kept = { blocks: batch.blocks, forgetBelow: batch.forgetBelow };
  if (relevant.length === 0) {
    store.setCursor(batch.toBlock, false, kept);
    return applied;
  }
  store.transaction(() => {
    for (const event of relevant) {
      const args = event.args as Record<string, unknown>;
      const taskId = args.taskId as bigint;
      switch (event.eventName) {
        case "TaskCreated": {
          // The task's other two TaskCreated logs name the other nodes.
          if (!me(args.selectedNode)) break;
          const isNew = store.insertTask({
            taskId,
            round: Number(args.round),
            taskHash: args.taskHash as Hex,
            creator: args.creator as Address,
            createdBlock: event.blockNumber ?? 0n,
          });
          if (isNew) applied.assigned.push(taskId);
          break;
        }
        case "TaskSuccess":
          if (store.recordFacts(taskId, { resultNode: args.resultNode as Address }, event.blockNumber ?? 0n))
            applied.touched.add(taskId);
          break;
        case "TaskAborted":
          if (
            store.recordFacts(
              taskId,
              { abortReason: ABORT_REASONS[Number(args.reason)] ?? String(args.reason) },
              event.blockNumber ?? 0n,
            )
          )
            applied.touched.add(taskId);
          break;
        case "NodePaid":
          if (me(args.node) && store.recordFacts(taskId, { paidWei: args.amount as bigint }, event.blockNumber ?? 0n)) {
            applied.touched.add(taskId);
            applied.payments.push({ taskId, amount: args.amount as bigint });
          }
          break;
        case "NodeSlashedForTask":
          if (me(args.node) && store.recordFacts(taskId, { slashed: true }, event.blockNumber ?? 0n)) {
            applied.touched.add(taskId);
            applied.slashes.push(taskId);
          }
          break;
        case "TaskResultCommitmentsReady":
        case "TaskResultUploaded":
          applied.touched.add(taskId);
          break;
      }
    }
    store.setCursor(batch.toBlock, true, kept);
  });
  return applied;
}

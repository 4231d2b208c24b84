import type { LogBatch } from "@hydrogen/chain";
import { taskManagerAbi } from "@hydrogen/protocol";
import { type Address, type Hex, isAddressEqual, parseEventLogs } from "viem";
import type { NodeStore } from "../store/store.ts";

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
 * Applies a batch of TaskManager logs to the store with the new cursor, in one transaction.
 * Every write is idempotent: replaying a range changes nothing.
 */
export function applyBatch(store: NodeStore, node: Address, batch: LogBatch): AppliedBatch {
  const events = parseEventLogs({ abi: taskManagerAbi, logs: batch.logs, strict: false });
  const applied: AppliedBatch = { assigned: [], touched: new Set(), payments: [], slashes: [] };
  const me = (address: unknown) => typeof address === "string" && isAddressEqual(address as Address, node);
  // Most blocks of a busy network carry nothing for this node: they only move the cursor. A
  // task created for this node in this very batch counts as known for the events after it.
  const mine = new Set<bigint>();
  const relevant = events.filter((event) => {
    const args = event.args as Record<string, unknown>;
    const taskId = args.taskId as bigint | undefined;
    if (taskId === undefined) return false;
    if (event.eventName === "TaskCreated") {
      if (!me(args.selectedNode)) return false;
      mine.add(taskId);
      return true;
    }
    return mine.has(taskId) || store.hasTask(taskId);
  });
  if (relevant.length === 0) {
    store.setCursor(batch.toBlock, false);
    return applied;
  }
  store.transaction(() => {
    for (const event of relevant) {
      const args = event.args as Record<string, unknown>;
      const taskId = args.taskId as bigint;
      switch (event.eventName) {
        case "TaskCreated": {
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
          if (store.recordFacts(taskId, { resultNode: args.resultNode as Address })) applied.touched.add(taskId);
          break;
        case "TaskAborted":
          if (store.recordFacts(taskId, { abortReason: ABORT_REASONS[Number(args.reason)] ?? String(args.reason) }))
            applied.touched.add(taskId);
          break;
        case "NodePaid":
          if (me(args.node) && store.recordFacts(taskId, { paidWei: args.amount as bigint })) {
            applied.touched.add(taskId);
            applied.payments.push({ taskId, amount: args.amount as bigint });
          }
          break;
        case "NodeSlashedForTask":
          if (me(args.node) && store.recordFacts(taskId, { slashed: true })) {
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
    store.setCursor(batch.toBlock);
  });
  return applied;
}

import { NODE_STATUSES, type NodeLossReason, nodeRegistryAbi } from "@hydrogen/protocol";
import { decodeEventLog, type Log } from "viem";
import {
  type ChainEventRow,
  type DecodedEvent,
  decodeEventRows,
  eventNode,
  taskEventRows,
} from "../db/chain-events.ts";
import { type NodeEventInput, recordNodeEvent } from "../db/nodes.ts";
import { type Db, findTask, taskNodes } from "../db/tasks.ts";

/** Where a log sits on the chain, as every stored event records it. */
export function logPlace(log: Log): Pick<NodeEventInput, "block" | "logIndex" | "txHash" | "blockTime"> {
  const time = (log as { blockTimestamp?: unknown }).blockTimestamp;
  return {
    block: Number(log.blockNumber),
    logIndex: log.logIndex ?? 0,
    txHash: log.transactionHash ?? null,
    blockTime: typeof time === "bigint" || typeof time === "string" ? Number(time) : null,
  };
}

/** Applies one NodeRegistry log: joins, status changes, stakes returned or slashed. */
export async function applyRegistryLog(db: Db, log: Log): Promise<string | undefined> {
  let event: ReturnType<typeof decodeEventLog<typeof nodeRegistryAbi>>;
  try {
    event = decodeEventLog({ abi: nodeRegistryAbi, data: log.data, topics: log.topics });
  } catch {
    return undefined; // an event of a newer registry
  }
  const place = logPlace(log);
  switch (event.eventName) {
    case "NodeJoined":
      await recordNodeEvent(db, { ...place, node: event.args.node, kind: "joined", amount: event.args.amount });
      break;
    case "NodeStatusChanged": {
      const { node, previous, current } = event.args;
      const detail = `${NODE_STATUSES[previous] ?? previous}>${NODE_STATUSES[current] ?? current}`;
      await recordNodeEvent(db, { ...place, node, kind: "status", detail });
      break;
    }
    case "StakeReturned":
      await recordNodeEvent(db, { ...place, node: event.args.node, kind: "stake_returned", amount: event.args.amount });
      break;
    case "NodeSlashed":
      await recordNodeEvent(db, { ...place, node: event.args.node, kind: "stake_slashed", amount: event.args.amount });
      break;
    default:
      return undefined;
  }
  return event.eventName;
}

const by = (events: DecodedEvent[], name: string, node: string) =>
  events.some((e) => e.eventName === name && eventNode(e) === node);

/** Nodes of the task not yet paid or slashed, each with why it is left unpaid. */
async function unsettled(
  db: Db,
  taskId: string,
  rows: ChainEventRow[],
): Promise<{ node: string; reason: NodeLossReason }[]> {
  const task = await findTask(db, taskId);
  if (!task) return [];
  const events = decodeEventRows(rows);
  const left = [];
  for (const node of taskNodes(task)) {
    if (by(events, "NodePaid", node) || by(events, "NodeSlashedForTask", node)) continue;
    const committed = by(events, "TaskResultCommitmentSubmitted", node) || by(events, "TaskErrorReported", node);
    const reason = !committed
      ? "no_commitment"
      : !by(events, "TaskResultDisclosed", node)
        ? "no_disclosure"
        : task.result_node === node
          ? "no_upload"
          : undefined;
    if (reason) left.push({ node, reason } as const);
  }
  return left;
}

/**
 * The per-node side of a TaskManager event the relay already stored in `chain_events`:
 * payments, slashes with their reason, and the nodes a cancellation left unpaid.
 */
export async function applyTaskNodeEvent(
  db: Db,
  log: Log,
  taskId: string,
  event: { eventName: string; args: Record<string, unknown> },
): Promise<void> {
  const place = logPlace(log);
  switch (event.eventName) {
    case "NodePaid":
      await recordNodeEvent(db, {
        ...place,
        taskId,
        node: String(event.args.node),
        kind: "paid",
        amount: event.args.amount as bigint,
      });
      return;
    case "NodeSlashedForTask": {
      const node = String(event.args.node).toLowerCase();
      const events = decodeEventRows(await taskEventRows(db, taskId, 200));
      const detail: NodeLossReason = by(events, "TaskErrorReported", node) ? "error_outvoted" : "result_mismatch";
      await recordNodeEvent(db, { ...place, taskId, node, kind: "slashed", detail });
      return;
    }
    case "TaskAborted":
      // Cancelled after the deadline while still voting: those that did not act are unpaid.
      if (event.args.reason === 0) await recordMissed(db, place, taskId, await taskEventRows(db, taskId, 200));
      return;
    case "CreatorRefunded": {
      // A refund alone in its transaction is a cancellation after the task succeeded.
      const rows = await taskEventRows(db, taskId, 200);
      if (place.txHash && rows.every((row) => row.tx_hash !== place.txHash || row.log_index === place.logIndex))
        await recordMissed(db, place, taskId, rows);
      return;
    }
  }
}

async function recordMissed(
  db: Db,
  place: ReturnType<typeof logPlace>,
  taskId: string,
  rows: ChainEventRow[],
): Promise<void> {
  for (const { node, reason } of await unsettled(db, taskId, rows))
    await recordNodeEvent(db, { ...place, taskId, node, kind: "missed", detail: reason });
}

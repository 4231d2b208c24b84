import type { LogBatch } from "@hydrogen/chain";
import { taskManagerAbi } from "@hydrogen/protocol";
import { decodeEventLog, type Log } from "viem";
import type { Db } from "../db/tasks.ts";

const ABORT_REASONS = ["Cancelled", "ErrorReported", "ResultsDisagree"] as const;

type Decoded = ReturnType<typeof decodeEventLog<typeof taskManagerAbi>>;

/** The TaskManager events the relay acts on; the others (payments, commitments) are traced on chain only. */
const HANDLED = new Set([
  "TaskCreated",
  "TaskResultCommitmentsReady",
  "TaskResultDisclosed",
  "TaskSuccess",
  "TaskAborted",
  "TaskResultUploaded",
]);

function decode(log: Log): Decoded | undefined {
  try {
    return decodeEventLog({ abi: taskManagerAbi, data: log.data, topics: log.topics });
  } catch {
    return undefined; // an event this ABI does not know (a newer contract): nothing for the relay
  }
}

const lower = (value: string) => value.toLowerCase();

/**
 * Applies one TaskManager log. Every statement is idempotent and only moves a task forward
 * (created → commitments_ready → success → reported, or aborted), so replaying any range
 * leaves the same rows. `now` is when the relay learned of it (retention counts from it).
 */
async function applyLog(db: Db, log: Log, now: number): Promise<string | undefined> {
  const event = decode(log);
  if (!event || !HANDLED.has(event.eventName)) return undefined;
  switch (event.eventName) {
    case "TaskCreated": {
      const { taskId, creator, selectedNode, taskHash, round } = event.args;
      const column = (["node0", "node1", "node2"] as const)[round];
      if (!column) return undefined;
      await db
        .insertInto("tasks")
        .values({
          task_id: taskId.toString(),
          creator: lower(creator),
          task_hash: lower(taskHash),
          [column]: lower(selectedNode),
          chain_phase: "created",
          created_block: Number(log.blockNumber),
          seen_at: now,
        })
        .onConflict((oc) => oc.column("task_id").doUpdateSet({ [column]: lower(selectedNode) }))
        .execute();
      break;
    }
    case "TaskResultCommitmentsReady":
      await db
        .updateTable("tasks")
        .set({ chain_phase: "commitments_ready" })
        .where("task_id", "=", event.args.taskId.toString())
        .where("chain_phase", "=", "created")
        .execute();
      break;
    case "TaskResultDisclosed": {
      const { taskId, node, round, result } = event.args;
      await db
        .insertInto("disclosures")
        .columns(["task_id", "round", "node", "result"])
        .expression((eb) =>
          eb
            .selectFrom("tasks")
            .select([
              "task_id",
              eb.val(round).as("round"),
              eb.val(lower(node)).as("node"),
              eb.val(lower(result)).as("result"),
            ])
            .where("task_id", "=", taskId.toString())
            .where("purged_at", "is", null),
        )
        .onConflict((oc) => oc.columns(["task_id", "round"]).doNothing())
        .execute();
      break;
    }
    case "TaskSuccess":
      await db
        .updateTable("tasks")
        .set({ chain_phase: "success", result: lower(event.args.result), result_node: lower(event.args.resultNode) })
        .where("task_id", "=", event.args.taskId.toString())
        .where("chain_phase", "in", ["created", "commitments_ready"])
        .execute();
      break;
    case "TaskAborted":
      await db
        .updateTable("tasks")
        .set((eb) => ({
          chain_phase: "aborted",
          abort_reason: ABORT_REASONS[event.args.reason] ?? String(event.args.reason),
          ended_at: eb.fn.coalesce("ended_at", eb.val(now)),
        }))
        .where("task_id", "=", event.args.taskId.toString())
        .where("chain_phase", "in", ["created", "commitments_ready", "success"])
        .execute();
      break;
    case "TaskResultUploaded":
      await db
        .updateTable("tasks")
        .set((eb) => ({ chain_phase: "reported", ended_at: eb.fn.coalesce("ended_at", eb.val(now)) }))
        .where("task_id", "=", event.args.taskId.toString())
        .where("chain_phase", "in", ["created", "commitments_ready", "success"])
        .execute();
      break;
  }
  return event.eventName;
}

/**
 * Applies a batch of logs in (block, log index) order and returns how many of each event
 * were handled. The caller runs this in the transaction that also stores the cursor.
 */
export async function applyBatch(db: Db, batch: LogBatch, now: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const log of batch.logs) {
    const name = await applyLog(db, log, now);
    if (name) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

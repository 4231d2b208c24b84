import type { LogBatch } from "@hydrogen/chain";
import { ABORT_REASONS, taskManagerAbi } from "@hydrogen/protocol";
import { type AbiEvent, decodeEventLog, type Log, toEventSelector } from "viem";
import { prepared } from "../db/prepared.ts";
import type { Db } from "../db/tasks.ts";
import { applyRegistryLog, applyTaskNodeEvent, logPlace } from "./nodes.ts";

type Decoded = ReturnType<typeof decodeEventLog<typeof taskManagerAbi>>;

/** The TaskManager events the relay acts on (all are kept per task in `chain_events`, for timelines). */
const HANDLED = [
  "TaskCreated",
  "TaskResultCommitmentsReady",
  "TaskResultDisclosed",
  "TaskSuccess",
  "TaskAborted",
  "TaskResultUploaded",
  "NodePaid",
  "NodeSlashedForTask",
  "CreatorRefunded",
] as const;

/** Their topic 0: a log with another one is skipped before it is decoded. */
const HANDLED_TOPICS = new Set(
  taskManagerAbi
    .filter((item) => item.type === "event" && (HANDLED as readonly string[]).includes(item.name))
    .map((item) => toEventSelector(item as AbiEvent)),
);

/**
 * topic 0 of every TaskManager event whose first indexed argument is the task id: the logs kept
 * per task (`chain_events`), for rollbacks and for the task's timeline.
 */
export const TASK_EVENT_TOPICS = new Set(
  taskManagerAbi
    .filter((item) => item.type === "event" && item.inputs[0]?.name === "taskId" && item.inputs[0].indexed)
    .map((item) => toEventSelector(item as AbiEvent)),
);

function decode(log: Log): Decoded | undefined {
  const topic = log.topics[0];
  if (!topic || !HANDLED_TOPICS.has(topic)) return undefined;
  try {
    return decodeEventLog({ abi: taskManagerAbi, data: log.data, topics: log.topics });
  } catch {
    return undefined; // an event this ABI does not know (a newer contract): nothing for the relay
  }
}

const lower = (value: string) => value.toLowerCase();

// One prepared statement per event (per round for TaskCreated, whose column differs): these
// run for every log the relay follows.
const createdFor = (["node0", "node1", "node2"] as const).map((column) =>
  prepared((db, p: { taskId: string; creator: string; taskHash: string; node: string; block: number; now: number }) =>
    db
      .insertInto("tasks")
      .values({
        task_id: p.taskId,
        creator: p.creator,
        task_hash: p.taskHash,
        [column]: p.node,
        chain_phase: "created",
        created_block: p.block,
        seen_at: p.now,
      })
      .onConflict((oc) => oc.column("task_id").doUpdateSet({ [column]: p.node })),
  ),
);

const recordEvent = prepared(
  (
    db,
    p: {
      block: number;
      logIndex: number;
      taskId: string;
      topics: string;
      data: string;
      txHash: string | null;
      blockTime: number | null;
    },
  ) =>
    db
      .insertInto("chain_events")
      .values({
        block: p.block,
        log_index: p.logIndex,
        task_id: p.taskId,
        topics: p.topics,
        data: p.data,
        tx_hash: p.txHash,
        block_time: p.blockTime,
      })
      .onConflict((oc) => oc.columns(["block", "log_index"]).doNothing()),
);

const selectIdentity = prepared((db, p: { taskId: string }) =>
  db.selectFrom("tasks").select(["creator", "task_hash", "chain_phase"]).where("task_id", "=", p.taskId),
);

/** The same task created again after a reorganisation removed its creation: it keeps its arguments. */
const revive = prepared((db, p: { taskId: string; block: number }) =>
  db
    .updateTable("tasks")
    .set({ chain_phase: "created", ended_at: null, created_block: p.block })
    .where("task_id", "=", p.taskId)
    .where("chain_phase", "=", "orphaned"),
);

/**
 * A TaskCreated for a task id the relay holds under another creator or task hash: a
 * reorganisation gave the id to another task. Nothing of the old one may be served for it.
 */
async function forgetTask(db: Db, taskId: string): Promise<void> {
  await db.deleteFrom("images").where("task_id", "=", taskId).execute();
  await db.deleteFrom("disclosures").where("task_id", "=", taskId).execute();
  await db.deleteFrom("tasks").where("task_id", "=", taskId).execute();
}

const commitmentsReady = prepared((db, p: { taskId: string }) =>
  db
    .updateTable("tasks")
    .set({ chain_phase: "commitments_ready" })
    .where("task_id", "=", p.taskId)
    .where("chain_phase", "=", "created"),
);

const disclosed = prepared((db, p: { taskId: string; round: number; node: string; result: string }) =>
  db
    .insertInto("disclosures")
    .columns(["task_id", "round", "node", "result"])
    .expression((eb) =>
      eb
        .selectFrom("tasks")
        .select(["task_id", eb.val(p.round).as("round"), eb.val(p.node).as("node"), eb.val(p.result).as("result")])
        .where("task_id", "=", p.taskId)
        .where("purged_at", "is", null),
    )
    .onConflict((oc) => oc.columns(["task_id", "round"]).doNothing()),
);

const succeeded = prepared((db, p: { taskId: string; result: string; resultNode: string }) =>
  db
    .updateTable("tasks")
    .set({ chain_phase: "success", result: p.result, result_node: p.resultNode })
    .where("task_id", "=", p.taskId)
    .where("chain_phase", "in", ["created", "commitments_ready"]),
);

const aborted = prepared((db, p: { taskId: string; reason: string; now: number }) =>
  db
    .updateTable("tasks")
    .set((eb) => ({
      chain_phase: "aborted",
      abort_reason: p.reason,
      ended_at: eb.fn.coalesce("ended_at", eb.val(p.now)),
    }))
    .where("task_id", "=", p.taskId)
    .where("chain_phase", "in", ["created", "commitments_ready", "success"]),
);

const reported = prepared((db, p: { taskId: string; now: number }) =>
  db
    .updateTable("tasks")
    .set((eb) => ({ chain_phase: "reported", ended_at: eb.fn.coalesce("ended_at", eb.val(p.now)) }))
    .where("task_id", "=", p.taskId)
    .where("chain_phase", "in", ["created", "commitments_ready", "success"]),
);

/**
 * Applies one TaskManager log. Every statement is idempotent and only moves a task forward
 * (created → commitments_ready → success → reported, or aborted), so replaying any range
 * leaves the same rows. `now` is when the relay learned of it (retention counts from it).
 */
export async function applyLog(db: Db, log: Log, now: number): Promise<string | undefined> {
  const [topic, id] = log.topics;
  if (!topic || !id || !TASK_EVENT_TOPICS.has(topic)) return undefined;
  const taskId = BigInt(id).toString();
  const place = logPlace(log);
  await recordEvent(db, {
    block: place.block,
    logIndex: place.logIndex,
    taskId,
    topics: JSON.stringify(log.topics),
    data: log.data,
    txHash: place.txHash ?? null,
    blockTime: place.blockTime ?? null,
  });
  const event = decode(log);
  if (!event) return undefined;
  switch (event.eventName) {
    case "TaskCreated": {
      const { creator, selectedNode, taskHash, round } = event.args;
      const insert = createdFor[round];
      if (!insert) return undefined;
      const held = (await selectIdentity(db, { taskId })).rows[0];
      if (held && (held.creator !== lower(creator) || held.task_hash !== lower(taskHash))) await forgetTask(db, taskId);
      else if (held?.chain_phase === "orphaned") await revive(db, { taskId, block: Number(log.blockNumber) });
      await insert(db, {
        taskId,
        creator: lower(creator),
        taskHash: lower(taskHash),
        node: lower(selectedNode),
        block: Number(log.blockNumber),
        now,
      });
      break;
    }
    case "TaskResultCommitmentsReady":
      await commitmentsReady(db, { taskId });
      break;
    case "TaskResultDisclosed": {
      const { node, round, result } = event.args;
      await disclosed(db, { taskId, round, node: lower(node), result: lower(result) });
      break;
    }
    case "TaskSuccess":
      await succeeded(db, {
        taskId,
        result: lower(event.args.result),
        resultNode: lower(event.args.resultNode),
      });
      break;
    case "TaskAborted":
      await aborted(db, {
        taskId,
        reason: ABORT_REASONS[event.args.reason] ?? String(event.args.reason),
        now,
      });
      break;
    case "TaskResultUploaded":
      await reported(db, { taskId, now });
      break;
  }
  await applyTaskNodeEvent(db, log, taskId, event as { eventName: string; args: Record<string, unknown> });
  return event.eventName;
}

/**
 * Applies a batch of logs in (block, log index) order and returns how many of each event
 * were handled. The caller runs this in the transaction that also stores the cursor.
 */
export async function applyBatch(
  db: Db,
  batch: LogBatch,
  now: number,
  registry?: string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const fromRegistry = registry?.toLowerCase();
  for (const log of batch.logs) {
    const name =
      log.address?.toLowerCase() === fromRegistry ? await applyRegistryLog(db, log) : await applyLog(db, log, now);
    if (name) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

import type { Hex, Log } from "viem";
import { taskEventRows } from "../db/chain-events.ts";
import { rollbackNodes } from "../db/nodes.ts";
import type { Db } from "../db/tasks.ts";
import { applyLog } from "./apply.ts";

/**
 * Undoes every applied log of the blocks after `ancestor` (a reorganisation replaced them):
 * each task they touched is reset to what its remaining logs say, replayed in (block, log
 * index) order; a task whose creation is gone is `orphaned` (hidden from every route, its
 * uploaded arguments kept in case the same task is created again). Runs in the caller's
 * transaction, with the cursor moved back; node summaries are counted again from the events
 * that remain. Returns the tasks it touched.
 */
export async function rollbackLogs(db: Db, ancestor: bigint, now: number): Promise<string[]> {
  const after = Number(ancestor);
  // Nodes first: replaying a task's remaining logs below then finds their node events held.
  await rollbackNodes(db, ancestor);
  const touched = await db.selectFrom("chain_events").select("task_id").distinct().where("block", ">", after).execute();
  const taskIds = touched.map((row) => row.task_id);
  if (taskIds.length === 0) return [];
  await db.deleteFrom("chain_events").where("block", ">", after).execute();
  for (const taskId of taskIds) {
    const remaining = await taskEventRows(db, taskId);
    await db.deleteFrom("disclosures").where("task_id", "=", taskId).execute();
    const reset = { node0: null, node1: null, node2: null, result: null, result_node: null, abort_reason: null };
    // A task has logs only after its TaskCreated ones: none left means its creation is gone.
    if (remaining.length === 0) {
      await db
        .updateTable("tasks")
        .set({ ...reset, chain_phase: "orphaned", ended_at: now })
        .where("task_id", "=", taskId)
        .execute();
      continue;
    }
    await db
      .updateTable("tasks")
      .set({ ...reset, chain_phase: "created", ended_at: null })
      .where("task_id", "=", taskId)
      .where("chain_phase", "!=", "orphaned")
      .execute();
    for (const row of remaining) {
      const log = {
        blockNumber: BigInt(row.block),
        logIndex: row.log_index,
        transactionHash: row.tx_hash,
        topics: JSON.parse(row.topics) as [Hex, ...Hex[]],
        data: row.data as Hex,
      } as Log;
      await applyLog(db, log, now);
    }
  }
  return taskIds;
}

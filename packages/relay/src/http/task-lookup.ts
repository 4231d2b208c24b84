import { RelayError } from "@hydrogen/protocol";
import { findTask, type TaskRow } from "../db/tasks.ts";
import type { RelayContext } from "./context.ts";

/** The task as the relay knows it; 404 (retryable) before its TaskCreated, 410 once retention deleted its data. */
export async function loadTask(context: RelayContext, taskId: string): Promise<TaskRow> {
  const task = await findTask(context.db, taskId);
  if (!task) throw new RelayError("RELAY_TASK_NOT_ON_CHAIN", `the relay has not seen task ${taskId} on chain yet`);
  if (task.purged_at !== null) {
    throw new RelayError(
      "RELAY_TASK_ENDED",
      `task ${taskId} ended and its data was deleted after the retention period`,
    );
  }
  return task;
}

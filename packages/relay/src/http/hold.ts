import type { ServerResponse } from "node:http";
import type { TaskRow } from "../db/tasks.ts";
import type { RelayContext } from "./context.ts";
import { loadTask } from "./task-lookup.ts";
import type { UploadKind } from "./upload-signals.ts";

/** How often a held request re-reads the task (an upload to another instance, the task's end). */
const HOLD_RECHECK_MS = 500;

/** Whether the upload a held request waits for is still missing. */
const MISSING: Record<UploadKind, (task: TaskRow) => boolean> = {
  args: (task) => task.args === null,
  images: (task) => task.images_uploaded_at === null,
};

/**
 * Holds a request (`?wait=`) until the task's arguments or images are uploaded, the task is
 * aborted, `seconds` pass or the client leaves; answers the task as last read, or undefined when
 * the client left. An upload to this instance wakes it at once; one to another instance sharing
 * the database is seen at the next re-read.
 */
export async function holdForUpload(
  context: RelayContext,
  kind: UploadKind,
  task: TaskRow,
  seconds: number,
  response: ServerResponse,
): Promise<TaskRow | undefined> {
  const until = Date.now() + seconds * 1000;
  const waiting = (t: TaskRow) => MISSING[kind](t) && t.chain_phase !== "aborted" && Date.now() < until;
  if (!waiting(task)) return task;
  const gone = new AbortController();
  const leave = () => gone.abort();
  response.once("close", leave);
  context.metrics.heldRequests.inc();
  try {
    let current = task;
    while (waiting(current)) {
      await context.uploads.wait(kind, current.task_id, Math.min(HOLD_RECHECK_MS, until - Date.now()), gone.signal);
      if (gone.signal.aborted) return undefined;
      current = await loadTask(context, current.task_id);
    }
    return current;
  } finally {
    response.off("close", leave);
    context.metrics.heldRequests.dec();
  }
}

import type { ServerResponse } from "node:http";
import { sleep } from "@hydrogen/protocol";
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
export function holdForUpload(
  context: RelayContext,
  kind: UploadKind,
  task: TaskRow,
  seconds: number,
  response: ServerResponse,
): Promise<TaskRow | undefined> {
  return holdTask(context, task, { missing: MISSING[kind], kind, seconds, recheckMs: HOLD_RECHECK_MS }, response);
}

/**
 * Holds a result node's upload while this relay has not seen the task's TaskSuccess, which the
 * node saw first: the follower is asked to read the chain at once, and the task re-read every
 * 100 ms, until the result node is known, the task is aborted, `seconds` pass or the client
 * leaves.
 */
export function holdForSuccess(
  context: RelayContext,
  task: TaskRow,
  seconds: number,
  response: ServerResponse,
): Promise<TaskRow | undefined> {
  const missing = (t: TaskRow) => {
    if (t.result_node === null) context.sync.catchUp();
    return t.result_node === null;
  };
  return holdTask(context, task, { missing, seconds, recheckMs: 100 }, response);
}

async function holdTask(
  context: RelayContext,
  task: TaskRow,
  hold: { missing: (task: TaskRow) => boolean; kind?: UploadKind; seconds: number; recheckMs: number },
  response: ServerResponse,
): Promise<TaskRow | undefined> {
  const until = Date.now() + hold.seconds * 1000;
  const waiting = (t: TaskRow) => hold.missing(t) && t.chain_phase !== "aborted" && Date.now() < until;
  if (!waiting(task)) return task;
  const gone = new AbortController();
  const leave = () => gone.abort();
  response.once("close", leave);
  context.metrics.heldRequests.inc();
  try {
    let current = task;
    while (waiting(current)) {
      const ms = Math.min(hold.recheckMs, until - Date.now());
      if (hold.kind) await context.uploads.wait(hold.kind, current.task_id, ms, gone.signal);
      else await sleep(ms, gone.signal).catch(() => {});
      if (gone.signal.aborted) return undefined;
      current = await loadTask(context, current.task_id);
    }
    return current;
  } finally {
    response.off("close", leave);
    context.metrics.heldRequests.dec();
  }
}

import { ABORT_REASONS, wakeableSleep } from "@hydrogen/protocol";
import type { Address, Hex } from "viem";
import type { HydrogenClient } from "../client.ts";
import { TaskAbortedError, TimeoutError } from "../errors.ts";
import { subscribeTaskLogs } from "../subscription.ts";
import { retryRpc } from "../wait.ts";
import { readTaskEvents, type TaskEvent } from "./getTaskEvents.ts";

export interface WaitForTaskParameters {
  taskId: bigint;
  /** The block the task was created in (scans start there). Default: the deployment block. */
  fromBlock?: bigint;
  /** Called once per task event, in chain order: commitments, error reports, disclosures… */
  onEvent?: (event: TaskEvent) => void;
  /** Default: no limit (the task's deadline bounds it; cancel with `signal`). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WaitForTaskReturnType {
  taskId: bigint;
  /** The result node's disclosed result: one 8-byte pHash per image. */
  result: Hex;
  resultNode: Address;
  blockNumber: bigint;
}

export type WaitForTaskErrorType = TaskAbortedError | TimeoutError;

/** How much slower the safety-net poll runs while a log subscription is live. */
const SUBSCRIBED_POLL_FACTOR = 10;

/**
 * Resolves when the task succeeds on chain (`TaskSuccess`), or rejects with `TaskAbortedError`
 * carrying the reason. Reads the task's logs every polling interval; over a WebSocket it
 * subscribes to them too and reads when one arrives, polling ten times less often while the
 * subscription lasts (a dropped one loses nothing: the reads start from the cursor).
 *
 * @example
 * const { result } = await waitForTask(client, { taskId, onEvent: (e) => console.log(e.name) });
 */
export async function waitForTask(
  client: HydrogenClient,
  parameters: WaitForTaskParameters,
): Promise<WaitForTaskReturnType> {
  const { publicClient } = client;
  const { taskId } = parameters;
  const deadline = parameters.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + parameters.timeoutMs;
  let wake: (() => void) | undefined;
  // Over a WebSocket the task's own logs wake the scan; the poll is then only a safety net.
  // A log that arrives during a read wakes the next wait before it starts.
  let woken = false;
  const subscription = await subscribeTaskLogs(client, taskId, () => {
    woken = true;
    wake?.();
  });
  const pollMs = () =>
    subscription?.live ? client.pollingIntervalMs * SUBSCRIBED_POLL_FACTOR : client.pollingIntervalMs;
  let cursor = parameters.fromBlock ?? client.deploymentBlock;
  try {
    for (;;) {
      woken = false;
      // An RPC outage is waited out: the scan resumes from the same cursor.
      const read = await retryRpc(
        async () => {
          const head = await publicClient.getBlockNumber({ cacheTime: 0 });
          return { head, events: head >= cursor ? await readTaskEvents(client, taskId, cursor, head) : [] };
        },
        {
          intervalMs: client.pollingIntervalMs,
          timeoutMs: Math.max(0, deadline - Date.now()),
          signal: parameters.signal,
        },
      );
      const { head } = read;
      if (head >= cursor) {
        for (const event of read.events) {
          parameters.onEvent?.(event);
          if (event.name === "TaskSuccess") {
            return { taskId, result: event.result, resultNode: event.resultNode, blockNumber: event.blockNumber };
          }
          if (event.name === "TaskAborted") {
            throw new TaskAbortedError(taskId, ABORT_REASONS[event.reason] ?? "Cancelled");
          }
        }
        cursor = head + 1n;
      }
      if (Date.now() >= deadline) throw new TimeoutError(`task ${taskId} to end`, parameters.timeoutMs ?? 0);
      if (woken) continue;
      const nap = wakeableSleep(Math.min(pollMs(), Math.max(0, deadline - Date.now())), parameters.signal);
      wake = nap.wake;
      await nap.done;
    }
  } finally {
    subscription?.unsubscribe();
  }
}

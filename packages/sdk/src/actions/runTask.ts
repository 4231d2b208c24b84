import { sleep } from "@hydrogen/protocol";
import type { Hash, Hex } from "viem";
import type { HydrogenClient } from "../client.ts";
import { taskManagerCallAbi } from "../contract-errors.ts";
import { ContractRevertedError, type HydrogenError } from "../errors.ts";
import { cancelTask } from "./cancelTask.ts";
import { type CreateTaskParameters, type CreateTaskReturnType, createTask } from "./createTask.ts";
import { downloadImages, type VerifiedImage } from "./downloadImages.ts";
import type { TaskEvent } from "./getTaskEvents.ts";
import { uploadTaskArgs } from "./uploadTaskArgs.ts";
import { waitForTask } from "./waitForTask.ts";

/** The phases of a task as an application sees it, in order. */
export type RunTaskPhase = "created" | "argsUploaded" | "executing" | "committed" | "disclosed" | "success" | "images";

export const RUN_TASK_PHASES: readonly RunTaskPhase[] = [
  "created",
  "argsUploaded",
  "executing",
  "committed",
  "disclosed",
  "success",
  "images",
];

export interface RunTaskProgress {
  phase: RunTaskPhase;
  taskId: bigint;
  /** Milliseconds since `runTask` was called. */
  elapsedMs: number;
}

export interface RunTaskParameters extends CreateTaskParameters {
  /** Called when the task enters each phase (and once per chain event through `onEvent`). */
  onProgress?: (progress: RunTaskProgress) => void;
  onEvent?: (event: TaskEvent) => void;
  /** Cancel the task (full refund of what is unspent) once its deadline passes. Default true. */
  cancelAfterDeadline?: boolean;
  signal?: AbortSignal;
}

export interface RunTaskReturnType {
  taskId: bigint;
  created: CreateTaskReturnType;
  result: Hex;
  images: VerifiedImage[];
  /** Milliseconds from the call to each phase. */
  timings: Partial<Record<RunTaskPhase, number>>;
  /** Gas of the transactions this call sent (createTask, and cancelTask if any). */
  gasUsed: bigint;
  transactions: Hash[];
}

export type RunTaskErrorType = HydrogenError;

/**
 * The whole life of a task from the application's side: create it, upload its arguments, wait
 * for the network's verdict, download and verify the images, reporting each phase.
 *
 * @example
 * const { images } = await runTask(client, {
 *   args: { base_model: "stable-diffusion-v1-5/stable-diffusion-v1-5", prompt: "a cat", task_config: { seed: 1, num_images: 1 } },
 *   onProgress: ({ phase }) => console.log(phase),
 * });
 */
export async function runTask(client: HydrogenClient, parameters: RunTaskParameters): Promise<RunTaskReturnType> {
  const started = performance.now();
  const timings: Partial<Record<RunTaskPhase, number>> = {};
  let taskId = 0n;
  const enter = (phase: RunTaskPhase) => {
    if (timings[phase] !== undefined) return;
    timings[phase] = Math.round(performance.now() - started);
    parameters.onProgress?.({ phase, taskId, elapsedMs: timings[phase] });
  };

  const created = await createTask(client, parameters);
  taskId = created.taskId;
  const transactions: Hash[] = [created.transactionHash];
  let gasUsed = created.gasUsed;
  enter("created");

  const stop = new AbortController();
  const signal = parameters.signal ? AbortSignal.any([parameters.signal, stop.signal]) : stop.signal;
  const cancelling =
    parameters.cancelAfterDeadline === false
      ? undefined
      : cancelAtDeadline(client, taskId, signal).catch(() => undefined);
  try {
    await uploadTaskArgs(client, { taskId, taskArgs: created.taskArgs, signal: parameters.signal });
    enter("argsUploaded");
    enter("executing");
    const outcome = await waitForTask(client, {
      taskId,
      fromBlock: created.blockNumber,
      signal: parameters.signal,
      onEvent: (event) => {
        if (event.name === "TaskResultCommitmentsReady") enter("committed");
        if (event.name === "TaskResultDisclosed") enter("disclosed");
        parameters.onEvent?.(event);
      },
    });
    enter("success");
    stop.abort();
    const images = await downloadImages(client, { taskId, result: outcome.result, signal: parameters.signal });
    enter("images");
    return { taskId, created, result: outcome.result, images, timings, gasUsed, transactions };
  } finally {
    stop.abort();
    const cancelled = await cancelling;
    if (cancelled) {
      transactions.push(cancelled.transactionHash);
      gasUsed += cancelled.gasUsed;
    }
  }
}

/**
 * Waits for the task's deadline by the chain's clock, then cancels it if it is still open. On a
 * chain that mines only on demand the clock moves with the next transaction, so a cancel the
 * contract finds early is retried.
 */
async function cancelAtDeadline(client: HydrogenClient, taskId: bigint, signal: AbortSignal) {
  const { publicClient, contracts } = client;
  const [task, block] = await Promise.all([
    publicClient.readContract({
      address: contracts.TaskManager,
      abi: taskManagerCallAbi,
      functionName: "getTask",
      args: [taskId],
    }),
    publicClient.getBlock({ blockTag: "latest" }),
  ]);
  await sleep(Number(task.deadline - block.timestamp + 1n) * 1000, signal);
  for (;;) {
    try {
      return await cancelTask(client, { taskId });
    } catch (error) {
      if (!(error instanceof ContractRevertedError && error.errorName === "DeadlineNotReached")) throw error;
      await sleep(client.pollingIntervalMs, signal);
    }
  }
}

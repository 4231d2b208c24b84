import type { RelayError } from "@hydrogen/protocol";
import type { Hex } from "viem";
import { type HydrogenClient, requireWallet } from "../client.ts";
import type { NoAccountError, TimeoutError } from "../errors.ts";
import { retryRelay } from "../wait.ts";

export interface UploadTaskArgsParameters {
  taskId: bigint;
  /** The exact string `createTask` hashed (its `taskArgs`). */
  taskArgs: string;
  /** How long to wait for the relay to see the task on chain. Default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type UploadTaskArgsReturnType = { taskId: bigint; taskHash: Hex };

export type UploadTaskArgsErrorType = NoAccountError | TimeoutError | RelayError;

/**
 * Uploads the task arguments to the relay, signed by the creator. Waits while the relay has not
 * yet seen the task's `TaskCreated` (it follows the chain); uploading the same arguments again
 * is a no-op.
 *
 * @example
 * await uploadTaskArgs(client, { taskId, taskArgs });
 */
export async function uploadTaskArgs(
  client: HydrogenClient,
  parameters: UploadTaskArgsParameters,
): Promise<UploadTaskArgsReturnType> {
  requireWallet(client, "uploadTaskArgs");
  const answer = await retryRelay(() => client.relay.uploadTaskArgs(parameters.taskId, parameters.taskArgs), {
    what: `the relay to accept task ${parameters.taskId}'s arguments`,
    timeoutMs: parameters.timeoutMs ?? 60_000,
    maxIntervalMs: client.pollingIntervalMs,
    signal: parameters.signal,
  });
  return { taskId: BigInt(answer.task_id), taskHash: answer.task_hash };
}

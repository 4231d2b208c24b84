import type { Hash } from "viem";
import { inAccountLane } from "../account-lane.ts";
import { ensureChain } from "../chain-check.ts";
import { type HydrogenClient, requireWallet } from "../client.ts";
import { sendTaskManager } from "../contract-errors.ts";
import type { ContractRevertedError, NoAccountError } from "../errors.ts";

export interface CancelTaskParameters {
  taskId: bigint;
}

export type CancelTaskReturnType = { transactionHash: Hash; gasUsed: bigint };

/** `DeadlineNotReached`, `TaskNotFound`, `NotTaskParticipant` arrive as a decoded `ContractRevertedError`. */
export type CancelTaskErrorType = NoAccountError | ContractRevertedError;

/**
 * Cancels a task after its deadline (the creator or a selected node): the unspent fee goes
 * back to the creator and unfinished nodes are freed (spec §5).
 *
 * @example
 * await cancelTask(client, { taskId });
 */
export async function cancelTask(
  client: HydrogenClient,
  parameters: CancelTaskParameters,
): Promise<CancelTaskReturnType> {
  const wallet = requireWallet(client, "cancelTask");
  await ensureChain(client);
  const { transactionHash, receipt } = await inAccountLane(client, wallet.account.address, () =>
    sendTaskManager(client, wallet, "cancelTask", [parameters.taskId]),
  );
  return { transactionHash, gasUsed: receipt.gasUsed };
}

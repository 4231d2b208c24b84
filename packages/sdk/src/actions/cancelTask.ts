import type { Hash } from "viem";
import { type HydrogenClient, requireWallet } from "../client.ts";
import { taskManagerCallAbi, toContractError } from "../contract-errors.ts";
import type { ContractRevertedError, NoAccountError } from "../errors.ts";

export interface CancelTaskParameters {
  taskId: bigint;
}

export type CancelTaskReturnType = { transactionHash: Hash; gasUsed: bigint };

/** `DeadlineNotReached`, `TaskNotFound`, `NotTaskParticipant` arrive as a decoded `ContractRevertedError`. */
export type CancelTaskErrorType = NoAccountError | ContractRevertedError;

/**
 * Cancels a task after its deadline (the creator or a selected node): the unspent fee goes
 * back to the creator and unfinished nodes are freed (SPEC §5).
 *
 * @example
 * await cancelTask(client, { taskId });
 */
export async function cancelTask(client: HydrogenClient, parameters: CancelTaskParameters): Promise<CancelTaskReturnType> {
  const wallet = requireWallet(client, "cancelTask");
  let transactionHash: Hash;
  try {
    const { request } = await client.publicClient.simulateContract({
      address: client.contracts.TaskManager,
      abi: taskManagerCallAbi,
      functionName: "cancelTask",
      args: [parameters.taskId],
      account: wallet.account,
    });
    transactionHash = await wallet.writeContract(request as never);
  } catch (error) {
    throw toContractError(error, "cancelTask");
  }
  const receipt = await client.publicClient.waitForTransactionReceipt({ hash: transactionHash });
  return { transactionHash, gasUsed: receipt.gasUsed };
}

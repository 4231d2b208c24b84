import { cnxAbi } from "@hydrogen/protocol";
import { encodeFunctionData, type Hash } from "viem";
import { ensureChain } from "../chain-check.ts";
import { type HydrogenClient, requireWallet } from "../client.ts";
import { taskManagerCallAbi } from "../contract-errors.ts";
import { waitForReceipt } from "../receipt.ts";
import { sendTransactionCall } from "../send.ts";

/**
 * Lets the TaskManager take the fee of `tasks` tasks (an ERC-20 approve of `tasks × fee`): a
 * wallet's own visible step, after which each `createTask` is a single transaction (it pays
 * by allowance, no permit signature). Resolves with the transaction once mined.
 *
 * @example
 * await approveTasks(client, { tasks: 10 });
 */
export async function approveTasks(
  client: HydrogenClient,
  parameters: { tasks: number },
): Promise<{ transactionHash: Hash; amount: bigint }> {
  const wallet = requireWallet(client, "approveTasks");
  await ensureChain(client);
  const feePerNode = (await client.publicClient.readContract({
    address: client.contracts.TaskManager,
    abi: taskManagerCallAbi,
    functionName: "feePerNode",
  })) as bigint;
  const amount = 3n * feePerNode * BigInt(parameters.tasks);
  const transactionHash = await sendTransactionCall(client, wallet, {
    to: client.contracts.CNX,
    data: encodeFunctionData({ abi: cnxAbi, functionName: "approve", args: [client.contracts.TaskManager, amount] }),
  });
  await waitForReceipt(client, transactionHash);
  return { transactionHash, amount };
}

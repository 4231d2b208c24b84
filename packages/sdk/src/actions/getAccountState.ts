import { cnxAbi } from "@hydrogen/protocol";
import type { Address } from "viem";
import type { HydrogenClient } from "../client.ts";
import { taskManagerCallAbi } from "../contract-errors.ts";

export interface GetAccountStateReturnType {
  /** Wei of the chain's currency (for gas). */
  eth: bigint;
  /** CNX wei held. */
  cnx: bigint;
  /** CNX wei the TaskManager may take (a task paid by allowance needs `fee`). */
  allowance: bigint;
  /** What one task costs now: 3 × the TaskManager's fee per node, CNX wei. */
  fee: bigint;
}

/**
 * What an account can pay with, read from the chain at one block: its ETH and CNX, its CNX
 * allowance to the TaskManager, and the current fee of a task.
 *
 * @example
 * const { cnx, fee } = await getAccountState(client, { account });
 * const tasksLeft = cnx / fee;
 */
export async function getAccountState(
  client: HydrogenClient,
  parameters: { account: Address },
): Promise<GetAccountStateReturnType> {
  const { publicClient, contracts } = client;
  const blockNumber = await publicClient.getBlockNumber({ cacheTime: 0 });
  const [eth, cnx, allowance, feePerNode] = await Promise.all([
    publicClient.getBalance({ address: parameters.account, blockNumber }),
    publicClient.readContract({
      address: contracts.CNX,
      abi: cnxAbi,
      functionName: "balanceOf",
      args: [parameters.account],
      blockNumber,
    }),
    publicClient.readContract({
      address: contracts.CNX,
      abi: cnxAbi,
      functionName: "allowance",
      args: [parameters.account, contracts.TaskManager],
      blockNumber,
    }),
    publicClient.readContract({
      address: contracts.TaskManager,
      abi: taskManagerCallAbi,
      functionName: "feePerNode",
      blockNumber,
    }),
  ]);
  return { eth, cnx: cnx as bigint, allowance: allowance as bigint, fee: 3n * (feePerNode as bigint) };
}

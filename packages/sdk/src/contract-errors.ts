import { decodeContractRevert, hydrogenErrorsAbi, taskManagerAbi } from "@hydrogen/protocol";
import { decodeErrorResult, encodeFunctionData, type Hash, type Hex, type TransactionReceipt } from "viem";
import type { HydrogenClient, HydrogenWallet } from "./client.ts";
import {
  ContractRevertedError,
  InsufficientAllowanceError,
  InsufficientCnxError,
  NotEnoughNodesError,
} from "./errors.ts";
import { waitForReceipt } from "./receipt.ts";
import { sendTransactionCall } from "./send.ts";

/** The TaskManager's ABI plus every error a call can bubble up (registry, token), for decoding. */
export const taskManagerCallAbi = [
  ...taskManagerAbi,
  ...hydrogenErrorsAbi.filter((e) => !taskManagerAbi.some((t) => t.type === "error" && t.name === e.name)),
];

/**
 * Turns a viem contract error into the SDK's typed error: the reverts an application can act
 * on get their own class, other custom errors a `ContractRevertedError`; anything that is not
 * a decoded revert (a transport failure) is returned unchanged.
 */
export function toContractError(error: unknown, functionName: string): unknown {
  const revert = decodeContractRevert(error);
  return revert ? typedRevert(functionName, revert.errorName, revert.args, error) : error;
}

/** A decoded custom error as the SDK's typed error. */
function typedRevert(functionName: string, errorName: string, args: readonly unknown[], cause: unknown): Error {
  switch (errorName) {
    case "InsufficientBalance":
    case "ERC20InsufficientBalance":
      return new InsufficientCnxError(args.at(-2) as bigint, args.at(-1) as bigint);
    case "InsufficientAllowance":
    case "ERC20InsufficientAllowance":
      return new InsufficientAllowanceError(args.at(-2) as bigint, args.at(-1) as bigint);
    case "NotEnoughAvailableNodes":
      return new NotEnoughNodesError(args[0] as bigint, args[1] as bigint);
    default:
      return new ContractRevertedError(functionName, errorName, args, { cause });
  }
}

/**
 * Sends a TaskManager transaction and waits for its receipt. The gas estimate doubles as the
 * revert check (decoded into a typed error before anything is signed), and gets 50% headroom:
 * the node selection's cost depends on the block's randomness, which moves between estimate
 * and inclusion.
 */
export async function sendTaskManager(
  client: HydrogenClient,
  wallet: HydrogenWallet,
  functionName: string,
  args: readonly unknown[],
): Promise<{ transactionHash: Hash; receipt: TransactionReceipt }> {
  const call = { address: client.contracts.TaskManager, abi: taskManagerCallAbi, functionName, args } as never;
  let transactionHash: Hash;
  try {
    // Against the latest block, not the pending one: pending transactions (a node's report that
    // would free it) may be mined after this one.
    const gas = await client.publicClient.estimateContractGas({
      ...(call as object),
      account: wallet.account,
      blockTag: "latest",
    } as never);
    transactionHash = await sendTransactionCall(client, wallet, {
      to: client.contracts.TaskManager,
      data: encodeFunctionData({ abi: taskManagerCallAbi, functionName, args } as never),
      gas: (gas * 3n) / 2n,
    });
  } catch (error) {
    throw toContractError(error, functionName);
  }
  // The transaction is out: an RPC outage only delays its receipt.
  const receipt = await waitForReceipt(client, transactionHash);
  if (receipt.status !== "success") throw await minedRevert(client, wallet, call, receipt);
  return { transactionHash, receipt };
}

/**
 * Why a transaction that passed its estimate reverted when mined (the state moved in between,
 * e.g. other tasks took the free nodes): the revert data from `debug_traceTransaction` where the
 * node offers it; otherwise the call replayed on the state before its block and after it. The
 * typed error found is returned; `TransactionReverted` when none is.
 */
async function minedRevert(
  client: HydrogenClient,
  wallet: HydrogenWallet,
  call: never,
  receipt: TransactionReceipt,
): Promise<unknown> {
  const { functionName } = call as { functionName: string };
  const reverted = new ContractRevertedError(functionName, "TransactionReverted", [receipt.transactionHash]);
  // The revert data itself, where the node can trace (anvil, geth, erigon, reth).
  try {
    const trace = (await client.publicClient.request({
      method: "debug_traceTransaction",
      params: [receipt.transactionHash, { tracer: "callTracer" }],
    } as never)) as { output?: Hex };
    if (trace?.output && trace.output !== "0x") {
      const { errorName, args } = decodeErrorResult({ abi: taskManagerCallAbi, data: trace.output });
      return typedRevert(functionName, errorName, (args ?? []) as readonly unknown[], reverted);
    }
  } catch {
    // No tracing here, or data no ABI names: replay instead.
  }
  // Before its block (the state it was estimated against, give or take), then after it.
  for (const blockNumber of [receipt.blockNumber - 1n, receipt.blockNumber]) {
    try {
      await client.publicClient.simulateContract({
        ...(call as object),
        account: wallet.account,
        blockNumber,
      } as never);
    } catch (error) {
      const typed = toContractError(error, functionName);
      if (typed !== error) return typed;
    }
  }
  return reverted;
}

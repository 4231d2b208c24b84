import { type ContractCall, decodeRevert, type SentTransaction, TransactionSender } from "@hydrogen/chain";
import { cnxAbi, nodeRegistryAbi, taskManagerAbi } from "@hydrogen/protocol";
import type { Account, Address, Chain, Hash, Hex, PublicClient, Transport, WalletClient } from "viem";
import type { ChainView } from "../task/decide.ts";

/** Where the three contracts are. */
export interface Contracts {
  taskManager: Address;
  registry: Address;
  token: Address;
}

export interface NodeChainDependencies {
  client: PublicClient;
  wallet: WalletClient<Transport, Chain | undefined, Account>;
  /** After each mined transaction: for accounting and metrics. */
  onMined?(tx: { hash: Hash; functionName: string; taskId?: bigint; gasUsed: bigint; feeWei: bigint }): void;
  onBroadcast?(call: ContractCall, hash: Hash): void;
  /**
   * The newest block a new-block subscription announced (see `ChainFollower.latestHead`):
   * `view` reads at it instead of asking for the latest block, while it is younger than
   * `headMaxAgeMs` and not older than this node's last mined transaction.
   */
  head?(): { number: bigint; timestamp: bigint; receivedAt: number } | undefined;
  /** The node's shutdown: waits for receipts end when it aborts (spec §6: the store finishes the task later). */
  signal?: AbortSignal;
}

/**
 * The node's view of and actions on the contracts: typed reads, and every write through one
 * TransactionSender (one nonce sequence, simulation first so reverts come back decoded).
 */
/**
 * Gas limit floors for the votes: the three nodes send them at once, and whichever lands second
 * pays, settles or slashes (about 110k gas by `npm run bench:gas`) while its estimate may have
 * priced being first (about 40k). A block with several of them would otherwise run one out of gas.
 */
const GAS_FLOOR: Record<string, bigint> = {
  discloseTaskResult: 200_000n,
  reportTaskError: 200_000n,
  submitTaskResultCommitment: 80_000n,
};

export class NodeChain {
  readonly sender: TransactionSender;
  readonly address: Address;
  /** The block of this node's last mined transaction: a view must see it. */
  private minedAt = 0n;
  private readonly headMaxAgeMs: number;

  constructor(
    readonly contracts: Contracts,
    options: { bumpAfterMs: number; headMaxAgeMs?: number; maxFeePerGasCap?: bigint },
    private readonly deps: NodeChainDependencies,
  ) {
    this.headMaxAgeMs = options.headMaxAgeMs ?? 1000;
    this.sender = new TransactionSender(
      { bumpAfterMs: options.bumpAfterMs, maxFeePerGasCap: options.maxFeePerGasCap },
      { client: deps.client, wallet: deps.wallet, onBroadcast: deps.onBroadcast, signal: deps.signal },
    );
    this.address = deps.wallet.account.address;
  }

  /** The node's wallet (signs permits). */
  get wallet(): WalletClient<Transport, Chain | undefined, Account> {
    return this.deps.wallet;
  }

  get client(): PublicClient {
    return this.deps.client;
  }

  /**
   * The newest block and its time: the subscription's last head when it is recent and shows
   * this node's last transaction (one request fewer per look at a task), else the RPC node's.
   */
  private async latestBlock(): Promise<{ number: bigint; timestamp: bigint }> {
    const head = this.deps.head?.();
    if (head && head.number >= this.minedAt && Date.now() - head.receivedAt < this.headMaxAgeMs) return head;
    return this.deps.client.getBlock({ blockTag: "latest" });
  }

  /** The task and this node's round, read at one block (the latest, or `at`) with that block's time. */
  async view(taskId: bigint, round: number, at?: bigint): Promise<ChainView> {
    const block = at === undefined ? await this.latestBlock() : await this.deps.client.getBlock({ blockNumber: at });
    let info: Awaited<ReturnType<typeof this.readTask>>;
    try {
      info = await this.readTask(taskId, block.number);
    } catch (error) {
      // Settled tasks are deleted: TaskNotFound means "over" (ids are never reused).
      if (decodeRevert(error, "getTask")?.errorName !== "TaskNotFound") throw error;
      return {
        block: block.number,
        time: block.timestamp,
        phase: 0,
        round: 0,
        resultRound: 0,
        myRound: round,
        deadline: 0n,
      };
    }
    return {
      block: block.number,
      time: block.timestamp,
      phase: info.phase,
      round: info.rounds[round] ?? 0,
      resultRound: info.resultRound,
      myRound: round,
      deadline: info.deadline,
    };
  }

  private readTask(taskId: bigint, blockNumber: bigint) {
    return this.deps.client.readContract({
      address: this.contracts.taskManager,
      abi: taskManagerAbi,
      functionName: "getTask",
      args: [taskId],
      blockNumber,
    });
  }

  commit(taskId: bigint, round: number, commitment: Hex) {
    return this.taskCall("submitTaskResultCommitment", taskId, [taskId, round, commitment]);
  }

  reportError(taskId: bigint, round: number) {
    return this.taskCall("reportTaskError", taskId, [taskId, round]);
  }

  disclose(taskId: bigint, round: number, result: Hex, salt: Hex) {
    return this.taskCall("discloseTaskResult", taskId, [taskId, round, result, salt]);
  }

  reportUploaded(taskId: bigint, round: number) {
    return this.taskCall("reportResultsUploaded", taskId, [taskId, round]);
  }

  cancel(taskId: bigint) {
    return this.taskCall("cancelTask", taskId, [taskId]);
  }

  /** Sends a registry or token call (staking). */
  send(target: "registry" | "token", functionName: string, args: readonly unknown[] = []): Promise<SentTransaction> {
    const abi = target === "registry" ? nodeRegistryAbi : cnxAbi;
    return this.track({ address: this.contracts[target], abi, functionName, args });
  }

  read<T>(target: keyof Contracts, functionName: string, args: readonly unknown[] = []): Promise<T> {
    const abi = target === "registry" ? nodeRegistryAbi : target === "token" ? cnxAbi : taskManagerAbi;
    return this.deps.client.readContract({
      address: this.contracts[target],
      abi,
      functionName,
      args,
    } as never) as Promise<T>;
  }

  private taskCall(functionName: string, taskId: bigint, args: readonly unknown[]) {
    return this.track(
      { address: this.contracts.taskManager, abi: taskManagerAbi, functionName, args, minGas: GAS_FLOOR[functionName] },
      taskId,
    );
  }

  private async track(call: ContractCall, taskId?: bigint): Promise<SentTransaction> {
    const sent = await this.sender.send(call);
    const { gasUsed, effectiveGasPrice, blockNumber } = sent.receipt;
    if (blockNumber > this.minedAt) this.minedAt = blockNumber;
    this.deps.onMined?.({
      hash: sent.hash,
      functionName: call.functionName,
      taskId,
      gasUsed,
      feeWei: gasUsed * effectiveGasPrice,
    });
    return sent;
  }
}

/** The registry and token a TaskManager uses. */
export async function resolveContracts(client: PublicClient, taskManager: Address): Promise<Contracts> {
  const [registry, token] = await Promise.all([
    client.readContract({ address: taskManager, abi: taskManagerAbi, functionName: "registry" }),
    client.readContract({ address: taskManager, abi: taskManagerAbi, functionName: "token" }),
  ]);
  return { taskManager, registry: registry as Address, token: token as Address };
}

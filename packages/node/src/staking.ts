import { ContractRevertError } from "@hydrogen/chain";
import { NODE_STATUSES, type NodeStatus, permitTypes } from "@hydrogen/protocol";
import type { Logger } from "pino";
import { BaseError, formatEther, type Hash, InsufficientFundsError, parseSignature } from "viem";
import type { NodeChain } from "./chain/contracts.ts";

export type StakingAction = "join" | "pause" | "resume" | "quit";

/** A staking action cannot be done now; `code` is stable (the API returns it). */
export class StakingError extends Error {
  override readonly name = "StakingError";
  constructor(
    readonly code:
      | "NODE_INSUFFICIENT_CNX"
      | "NODE_INSUFFICIENT_GAS"
      | "NODE_ACTION_REFUSED"
      | "NODE_ALREADY_JOINED"
      | "NODE_NOT_JOINED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface StakeStatus {
  status: NodeStatus;
  stakeWei: bigint;
  stakeAmountWei: bigint;
  cnxWei: bigint;
  gasWei: bigint;
}

/**
 * The node's place in the network (spec §2): join (permit + join, or approve + join), pause,
 * resume, quit, and what to do on start. Reverts come back as StakingError with the decoded
 * custom error in the message.
 */
export class Staking {
  constructor(
    private readonly options: { usePermit: boolean; chainId: number },
    private readonly deps: { chain: NodeChain; log: Logger },
  ) {}

  async status(): Promise<StakeStatus> {
    const { chain } = this.deps;
    const me = chain.address;
    const [status, stakeWei, stakeAmountWei, cnxWei, gasWei] = await Promise.all([
      chain.read<number>("registry", "statusOf", [me]),
      chain.read<bigint>("registry", "stakeOf", [me]),
      chain.read<bigint>("registry", "stakeAmount"),
      chain.read<bigint>("token", "balanceOf", [me]),
      chain.client.getBalance({ address: me }),
    ]);
    return { status: NODE_STATUSES[status] ?? "Quit", stakeWei, stakeAmountWei, cnxWei, gasWei };
  }

  /** On start: `join` stakes a node that is out of the network and resumes a paused one; `wait` does nothing. */
  async onStart(policy: "join" | "wait"): Promise<void> {
    const { status } = await this.status();
    this.deps.log.info({ status, policy }, "node status on chain");
    if (policy === "wait") return;
    if (status === "Quit") await this.act("join");
    else if (status === "Paused") await this.act("resume");
  }

  /** Runs a staking action; returns the transaction hashes. */
  async act(action: StakingAction): Promise<Hash[]> {
    const hashes = action === "join" ? await this.join() : [await this.call(action)];
    this.deps.log.info({ action, txs: hashes }, "staking action done");
    return hashes;
  }

  private async join(): Promise<Hash[]> {
    const before = await this.status();
    if (before.status !== "Quit") throw new StakingError("NODE_ALREADY_JOINED", `the node is already ${before.status}`);
    if (before.cnxWei < before.stakeAmountWei) {
      throw new StakingError(
        "NODE_INSUFFICIENT_CNX",
        `joining stakes ${formatEther(before.stakeAmountWei)} CNX; ${this.deps.chain.address} holds ${formatEther(before.cnxWei)}`,
      );
    }
    if (before.gasWei === 0n) {
      throw new StakingError(
        "NODE_INSUFFICIENT_GAS",
        `${this.deps.chain.address} has no native currency to pay for gas`,
      );
    }
    if (this.options.usePermit) return [await this.joinWithPermit(before.stakeAmountWei)];
    const allowance = await this.deps.chain.read<bigint>("token", "allowance", [
      this.deps.chain.address,
      this.deps.chain.contracts.registry,
    ]);
    const hashes: Hash[] = [];
    if (allowance < before.stakeAmountWei) {
      hashes.push(
        (
          await this.guard("approve", () =>
            this.deps.chain.send("token", "approve", [this.deps.chain.contracts.registry, before.stakeAmountWei]),
          )
        ).hash,
      );
    }
    hashes.push(await this.call("join"));
    return hashes;
  }

  /** EIP-2612: one transaction, no standing allowance. */
  private async joinWithPermit(value: bigint): Promise<Hash> {
    const { chain } = this.deps;
    const [domain, nonce] = await Promise.all([
      chain.read<readonly [string, string, string, bigint, `0x${string}`]>("token", "eip712Domain"),
      chain.read<bigint>("token", "nonces", [chain.address]),
    ]);
    const block = await chain.client.getBlock();
    const deadline = block.timestamp + 3600n;
    const signature = await chain.wallet.signTypedData({
      account: chain.wallet.account,
      domain: {
        name: domain[1],
        version: domain[2],
        chainId: this.options.chainId,
        verifyingContract: chain.contracts.token,
      },
      types: permitTypes,
      primaryType: "Permit",
      message: { owner: chain.address, spender: chain.contracts.registry, value, nonce, deadline },
    });
    const { r, s, v, yParity } = parseSignature(signature);
    return (
      await this.guard("join", () =>
        chain.send("registry", "joinWithPermit", [deadline, v === undefined ? 27 + yParity : Number(v), r, s]),
      )
    ).hash;
  }

  private async call(functionName: "join" | "pause" | "resume" | "quit"): Promise<Hash> {
    return (await this.guard(functionName, () => this.deps.chain.send("registry", functionName))).hash;
  }

  private async guard<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ContractRevertError) {
        throw new StakingError(
          "NODE_ACTION_REFUSED",
          `${what} refused: ${error.errorName}(${error.args.map(String).join(", ")})`,
          { cause: error },
        );
      }
      if (error instanceof BaseError && error.walk((e) => e instanceof InsufficientFundsError)) {
        throw new StakingError("NODE_INSUFFICIENT_GAS", `not enough native currency to pay for ${what}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

import { decodeContractRevert, hydrogenErrorsAbi, nextDelay, sleep } from "@hydrogen/protocol";
import {
  type Abi,
  type Account,
  type Address,
  BaseError,
  type Chain,
  encodeFunctionData,
  type Hash,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  WaitForTransactionReceiptTimeoutError,
  type WalletClient,
} from "viem";

/** A call the chain refused, with the custom error decoded (e.g. `NotSelectedNode(taskId, round, caller)`). */
export class ContractRevertError extends Error {
  override readonly name = "ContractRevertError";
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
    readonly functionName: string,
    options?: { cause?: unknown },
  ) {
    super(`${functionName} reverted with ${errorName}(${args.map(String).join(", ")})`, options);
  }
}

/** A transaction that was mined but reverted (the simulation had passed: the state moved in between). */
export class TransactionRevertedError extends Error {
  override readonly name = "TransactionRevertedError";
  constructor(
    readonly hash: Hash,
    readonly functionName: string,
  ) {
    super(`${functionName} transaction ${hash} reverted on chain`);
  }
}

/**
 * A transaction that can no longer be mined: every version vanished (a reorganisation removed
 * its block and the node did not put it back in its pool), or an earlier nonce of the account
 * vanished that way and left a gap. Its step should be decided anew.
 */
export class TransactionDroppedError extends Error {
  override readonly name = "TransactionDroppedError";
  constructor(
    readonly hashes: Hash[],
    readonly functionName: string,
  ) {
    super(`${functionName} transaction ${hashes.at(-1)} is neither mined nor pending (dropped, or behind a nonce gap)`);
  }
}

export interface SenderOptions {
  /** Extra gas over the estimate, in percent (the draw in createTask makes estimates vary). Default 30. */
  gasHeadroomPercent?: number;
  /** Replace a transaction not mined after this long with higher fees. Default 30,000 ms. */
  bumpAfterMs?: number;
  /** Fee increase per replacement, in percent (nodes accept ≥ 10). Default 15. */
  bumpPercent?: number;
  /** Replacements before giving up. Default 5. */
  maxBumps?: number;
  /** How long a fee estimate is reused (a replacement raises a stale one). Default 1,000 ms. */
  feeCacheMs?: number;
  /**
   * The most the operator pays per gas (EIP-1559 `maxFeePerGas`), in wei: estimates and
   * replacements never go above it; at the cap a stuck transaction waits instead of being bumped.
   */
  maxFeePerGasCap?: bigint;
}

/** An EIP-1559 contract call as signed, kept to sign its replacements. */
interface TransactionFields {
  to: Address;
  data: Hex;
  nonce: number;
  gas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** The first wait before a transaction's receipt is asked for again; it doubles from there. */
const FIRST_RECEIPT_POLL_MS = 10;
/** Until a receipt has been waited for this long, its absence is not looked into (a dropped transaction). */
const DROP_CHECK_AFTER_MS = 80;

export interface ContractCall {
  address: Address;
  abi: Abi | readonly unknown[];
  functionName: string;
  args?: readonly unknown[];
  /**
   * A gas limit floor, for calls whose cost depends on what lands before them in the same
   * block (the second disclosure pays and settles; the first only stores): the estimate
   * prices the state it saw. Only used gas is paid.
   */
  minGas?: bigint;
}

export interface SentTransaction {
  hash: Hash;
  receipt: TransactionReceipt;
  /** Replacements sent before it was mined. */
  bumps: number;
  /** Every version sent, the first one first. */
  hashes: Hash[];
}

/**
 * Sends contract calls from one account, one nonce sequence for every contract: estimates gas
 * first, which executes the call (a revert becomes a ContractRevertError and consumes no
 * nonce), adds headroom, and replaces a transaction that stays unmined with higher fees until one of its
 * versions is mined.
 *
 * @example
 * const sender = new TransactionSender({}, { client, wallet });
 * const { receipt } = await sender.send({ address: taskManager, abi: taskManagerAbi, functionName: "submitTaskResultCommitment", args });
 */
export class TransactionSender {
  private queue: Promise<unknown> = Promise.resolve();
  private feeCache: { at: number; fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } } | undefined;
  private chainId: number | undefined;

  constructor(
    private readonly options: SenderOptions,
    private readonly deps: {
      client: PublicClient;
      wallet: WalletClient<Transport, Chain | undefined, Account>;
      /** Called once a transaction is handed to the RPC node, before its receipt (logging, accounting). */
      onBroadcast?(call: ContractCall, hash: Hash): void;
      /** The process's shutdown: every wait for a receipt ends when it aborts. */
      signal?: AbortSignal;
    },
  ) {}

  get address(): Address {
    return this.deps.wallet.account.address;
  }

  /**
   * Sends `call`; concurrent calls are queued so nonces never collide. Aborting `signal` (or the
   * sender's own) rejects with its reason: a queued call is never broadcast, a broadcast one
   * stops being waited for (it may still be mined).
   */
  send(call: ContractCall, options: { signal?: AbortSignal } = {}): Promise<SentTransaction> {
    const signals = [this.deps.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    const result = this.queue.then(() => {
      signal?.throwIfAborted();
      return this.broadcast(call);
    });
    // The queue only orders broadcasts; waiting for receipts happens outside it.
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result.then(({ nonce, request, hash }) => this.confirm(call, nonce, request, hash, signal));
  }

  private async broadcast(call: ContractCall) {
    const { client } = this.deps;
    const abi = [...(call.abi as readonly unknown[]), ...hydrogenErrorsAbi] as Abi;
    const args = call.args ?? [];
    // Gas estimation executes the call: a revert surfaces here, decoded, before any nonce is
    // used. The account is given by address: with the local account, viem would first fill
    // a whole transaction (eth_fillTransaction) only to estimate it.
    const [gas, fees] = await Promise.all([
      client
        .estimateContractGas({
          address: call.address,
          abi,
          functionName: call.functionName,
          args,
          account: this.address,
        } as never)
        .catch((error: unknown) => {
          throw decodeRevert(error, call.functionName) ?? error;
        }),
      this.fees(),
    ]);
    // Asked every time (sends are serialized, so the node has counted the previous one): a
    // reorganisation that dropped one of this account's transactions lowers it, and a nonce
    // kept in memory would then leave a gap that no later transaction could cross.
    const nonce = await client.getTransactionCount({ address: this.address, blockTag: "pending" });
    const withHeadroom = (gas * BigInt(100 + (this.options.gasHeadroomPercent ?? 30))) / 100n;
    const request: TransactionFields = {
      to: call.address,
      data: encodeFunctionData({ abi, functionName: call.functionName, args } as never),
      nonce,
      gas: call.minGas !== undefined && call.minGas > withHeadroom ? call.minGas : withHeadroom,
      ...this.capped(fees.maxFeePerGas, fees.maxPriorityFeePerGas),
    };
    const hash = await this.sendFields(request);
    this.deps.onBroadcast?.(call, hash);
    return { nonce, request, hash };
  }

  /** Fees within the operator's cap (the tip never above the fee). */
  private capped(maxFeePerGas: bigint, maxPriorityFeePerGas: bigint) {
    const cap = this.options.maxFeePerGasCap;
    const fee = cap !== undefined && maxFeePerGas > cap ? cap : maxFeePerGas;
    return { maxFeePerGas: fee, maxPriorityFeePerGas: maxPriorityFeePerGas > fee ? fee : maxPriorityFeePerGas };
  }

  /** Fee caps, asked of the RPC node at most once per `feeCacheMs`. */
  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const ttl = this.options.feeCacheMs ?? 1000;
    if (this.feeCache && Date.now() - this.feeCache.at < ttl) return this.feeCache.fees;
    const fees = await this.deps.client.estimateFeesPerGas();
    this.feeCache = { at: Date.now(), fees };
    return fees;
  }

  /**
   * Signs `fields` with the local key and hands the raw transaction over (one request; viem's
   * `writeContract` would prepare the transaction again); a JSON-RPC account signs on its node.
   */
  private async sendFields(fields: TransactionFields): Promise<Hash> {
    const { client, wallet } = this.deps;
    const { account } = wallet;
    if (!account.signTransaction)
      return wallet.sendTransaction({ ...fields, account, chain: wallet.chain, type: "eip1559" } as never);
    this.chainId ??= wallet.chain?.id ?? (await client.getChainId());
    const serializedTransaction = await account.signTransaction({ ...fields, chainId: this.chainId, type: "eip1559" });
    return client.sendRawTransaction({ serializedTransaction });
  }

  private async confirm(
    call: ContractCall,
    nonce: number,
    request: TransactionFields,
    first: Hash,
    signal: AbortSignal | undefined,
  ): Promise<SentTransaction> {
    const hashes = [first];
    let current = request;
    for (let bumps = 0; ; bumps++) {
      try {
        const receipt = await this.waitForAny(call, nonce, hashes, this.options.bumpAfterMs ?? 30_000, signal);
        if (receipt.status !== "success")
          throw new TransactionRevertedError(receipt.transactionHash, call.functionName);
        return { hash: receipt.transactionHash, receipt, bumps, hashes };
      } catch (error) {
        if (!(error instanceof WaitForTransactionReceiptTimeoutError) || bumps >= (this.options.maxBumps ?? 5))
          throw error;
      }
      const factor = BigInt(100 + (this.options.bumpPercent ?? 15));
      const bumped = this.capped(
        (current.maxFeePerGas * factor) / 100n + 1n,
        (current.maxPriorityFeePerGas * factor) / 100n + 1n,
      );
      // At the cap: a replacement must pay more to be accepted, so wait for this one instead.
      if (bumped.maxFeePerGas <= current.maxFeePerGas) continue;
      current = { ...current, ...bumped };
      try {
        hashes.push(await this.sendFields(current));
      } catch (error) {
        // "nonce too low": one of the earlier versions was mined meanwhile; the next wait finds it.
        if (!(error instanceof BaseError)) throw error;
      }
    }
  }

  /**
   * The receipt of whichever of `hashes` is mined first, or a timeout error after `ms`. Throws
   * TransactionDroppedError when, on two reads in a row, the RPC node knows none of them or no
   * longer counts their nonce as pending (a reorganisation removed an earlier transaction of
   * this account: a gap that no bump can cross).
   */
  private async waitForAny(
    call: ContractCall,
    nonce: number,
    hashes: Hash[],
    ms: number,
    signal: AbortSignal | undefined,
  ): Promise<TransactionReceipt> {
    const { client } = this.deps;
    const deadline = Date.now() + ms;
    let lost = 0;
    const delays = receiptPollDelays(client.pollingInterval);
    let waited = 0;
    while (Date.now() < deadline) {
      for (const hash of hashes) {
        const receipt = await client.getTransactionReceipt({ hash }).catch(() => undefined);
        if (receipt) return receipt;
      }
      if (waited >= DROP_CHECK_AFTER_MS) {
        const [known, pending] = await Promise.all([
          Promise.all(hashes.map((hash) => client.getTransaction({ hash }).then(Boolean, () => false))),
          client.getTransactionCount({ address: this.address, blockTag: "pending" }).catch(() => nonce + 1),
        ]);
        lost = !known.some(Boolean) || pending <= nonce ? lost + 1 : 0;
        if (lost >= 2) throw new TransactionDroppedError(hashes, call.functionName);
      }
      const delay = delays.next().value as number;
      await sleep(delay, signal);
      waited += delay;
    }
    throw new WaitForTransactionReceiptTimeoutError({ hash: hashes[hashes.length - 1] as Hash });
  }
}

/**
 * The waits between looks for a receipt: 10 ms, then doubling up to the polling interval (at
 * most a second). Most transactions are mined within milliseconds (a devnet mines on arrival),
 * so the first looks come soon; a slow chain is asked less and less often.
 */
export function* receiptPollDelays(pollingIntervalMs: number): Generator<number, never> {
  const longest = Math.min(pollingIntervalMs, 1000);
  let delay = 0;
  for (;;) {
    delay = nextDelay(delay, { firstMs: FIRST_RECEIPT_POLL_MS, maxMs: longest });
    yield delay;
  }
}

/**
 * The custom error inside a viem error, as a ContractRevertError; undefined when there is none.
 *
 * @example
 * catch (e) { const revert = decodeRevert(e, "createTask"); if (revert?.errorName === "NotEnoughAvailableNodes") … }
 */
export function decodeRevert(error: unknown, functionName: string): ContractRevertError | undefined {
  const revert = decodeContractRevert(error);
  if (!revert) return undefined;
  return new ContractRevertError(revert.errorName, revert.args, functionName, { cause: error });
}

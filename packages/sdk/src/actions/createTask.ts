import {
  cnxAbi,
  nextDelay,
  parseTaskArgs,
  parseTaskArgsJson,
  permitTypes,
  RelayError,
  RelayUnreachableError,
  sleep,
  TASK_ARGS_MAX_BYTES,
  type TaskArgsInput,
  taskHash,
  utf8Bytes,
} from "@hydrogen/protocol";
import { type Address, encodeFunctionData, type Hash, type Hex, parseEventLogs, parseSignature, zeroHash } from "viem";
import { inAccountLane, isNonceConflict } from "../account-lane.ts";
import { ensureChain } from "../chain-check.ts";
import { type HydrogenClient, type HydrogenWallet, requireWallet } from "../client.ts";
import { sendTaskManager, taskManagerCallAbi } from "../contract-errors.ts";
import {
  ContractRevertedError,
  InsufficientAllowanceError,
  InsufficientCnxError,
  InvalidTaskArgsError,
  type NoAccountError,
  type NotEnoughNodesError,
  PermitRejectedError,
  TaskArgsTooLargeError,
  type WrongChainError,
} from "../errors.ts";
import { waitForReceipt } from "../receipt.ts";
import { sendTransactionCall } from "../send.ts";

export interface CreateTaskParameters {
  /** The task arguments (spec §9): an object, or the exact JSON string to upload. */
  args: TaskArgsInput | string;
  /**
   * How the fee is paid. `permit` (default when the allowance is short): an EIP-2612 signature
   * in the same transaction; `approve`: an approve transaction first; `allowance`: only the
   * existing allowance.
   */
  payment?: "permit" | "approve" | "allowance";
}

export interface CreateTaskReturnType {
  taskId: bigint;
  /** The 3 selected nodes, by round. */
  nodes: [Address, Address, Address];
  /** The exact arguments string whose keccak256 is the on-chain task hash: upload this. */
  taskArgs: string;
  taskHash: Hex;
  fee: bigint;
  transactionHash: Hash;
  blockNumber: bigint;
  gasUsed: bigint;
}

export type CreateTaskErrorType =
  | InvalidTaskArgsError
  | TaskArgsTooLargeError
  | NoAccountError
  | InsufficientCnxError
  | InsufficientAllowanceError
  | NotEnoughNodesError
  | PermitRejectedError
  | WrongChainError
  | ContractRevertedError;

/**
 * Validates the arguments and checks their size against the relay's published limit, then
 * pays `3 × feePerNode` CNX and creates the task on chain.
 *
 * @example
 * const { taskId, nodes, taskArgs } = await createTask(client, {
 *   args: { base_model: "stable-diffusion-v1-5/stable-diffusion-v1-5", prompt: "a cat", task_config: { seed: 1 } },
 * });
 */
export async function createTask(
  client: HydrogenClient,
  parameters: CreateTaskParameters,
): Promise<CreateTaskReturnType> {
  const argsJson = typeof parameters.args === "string" ? parameters.args : JSON.stringify(parameters.args);
  const parsed = typeof parameters.args === "string" ? parseTaskArgsJson(argsJson) : parseTaskArgs(parameters.args);
  if (!parsed.ok) throw new InvalidTaskArgsError(parsed.violations);
  await checkArgsSize(client, argsJson);

  const wallet = requireWallet(client, "createTask");
  const hash = taskHash(argsJson);
  // One at a time per account from this client; other senders of the account are raced.
  const { functionName, fee, transactionHash, receipt } = await inAccountLane(client, wallet.account.address, () =>
    payAndCreate(client, wallet, hash, parameters.payment),
  );
  const created = parseEventLogs({ abi: taskManagerCallAbi, eventName: "TaskCreated", logs: receipt.logs });
  const first = created[0];
  if (!first) throw new ContractRevertedError(functionName, "NoTaskCreatedEvent", [transactionHash]);
  const nodes = [] as unknown as [Address, Address, Address];
  for (const log of created) nodes[log.args.round] = log.args.selectedNode;
  return {
    taskId: first.args.taskId,
    nodes,
    taskArgs: argsJson,
    taskHash: hash,
    fee,
    transactionHash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
  };
}

/**
 * How often a task is built again when another sender of the account (a second process, a tab)
 * took its account nonce or its permit nonce between our read and our send.
 */
const ATTEMPTS = 5;

async function payAndCreate(
  client: HydrogenClient,
  wallet: HydrogenWallet,
  hash: Hex,
  payment: CreateTaskParameters["payment"],
) {
  let wait = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await payAndCreateOnce(client, wallet, hash, payment);
    } catch (error) {
      const raced = isNonceConflict(error) || (error instanceof PermitRejectedError && error.reason === "nonce_used");
      if (!raced || attempt >= ATTEMPTS) throw error;
      // Apart, and jittered, so that two racing senders do not collide again.
      wait = nextDelay(wait, { firstMs: 50, maxMs: 1000 });
      await sleep(wait * (0.5 + Math.random()));
    }
  }
}

/** Reads the fee, balance and allowance, pays as asked (permit, approve, allowance), creates the task. */
async function payAndCreateOnce(
  client: HydrogenClient,
  wallet: HydrogenWallet,
  hash: Hex,
  payment: CreateTaskParameters["payment"],
) {
  await ensureChain(client);
  const { publicClient, contracts } = client;
  const account = wallet.account.address;
  const [feePerNode, balance, allowance] = await Promise.all([
    publicClient.readContract({ address: contracts.TaskManager, abi: taskManagerCallAbi, functionName: "feePerNode" }),
    publicClient.readContract({ address: contracts.CNX, abi: cnxAbi, functionName: "balanceOf", args: [account] }),
    publicClient.readContract({
      address: contracts.CNX,
      abi: cnxAbi,
      functionName: "allowance",
      args: [account, contracts.TaskManager],
    }),
  ]);
  const fee = (feePerNode as bigint) * 3n;
  if ((balance as bigint) < fee) throw new InsufficientCnxError(balance as bigint, fee);
  const pay = payment ?? ((allowance as bigint) >= fee ? "allowance" : "permit");

  if (pay === "approve" && (allowance as bigint) < fee) {
    const approval = await sendTransactionCall(client, wallet, {
      to: contracts.CNX,
      data: encodeFunctionData({ abi: cnxAbi, functionName: "approve", args: [contracts.TaskManager, fee] }),
    });
    await waitForReceipt(client, approval);
  }
  if (pay !== "permit") {
    const sent = await sendTaskManager(client, wallet, "createTask", [hash, zeroHash]);
    return { functionName: "createTask", fee, ...sent };
  }
  const permit = await signPermit(client, fee);
  try {
    const sent = await sendTaskManager(client, wallet, "createTaskWithPermit", [
      hash,
      zeroHash,
      permit.deadline,
      permit.v,
      permit.r,
      permit.s,
    ]);
    return { functionName: "createTaskWithPermit", fee, ...sent };
  } catch (error) {
    // The contract goes on without a failed permit, and then finds no allowance: say why.
    if (error instanceof InsufficientAllowanceError) throw await permitRejection(client, permit, error);
    throw error;
  }
}

/** Why a permit was not accepted: its nonce was used meanwhile, it expired, or the token refused it. */
async function permitRejection(client: HydrogenClient, permit: SignedPermit, cause: unknown) {
  const [nonce, block] = await Promise.all([
    client.publicClient.readContract({
      address: client.contracts.CNX,
      abi: cnxAbi,
      functionName: "nonces",
      args: [permit.owner],
    }),
    client.publicClient.getBlock(),
  ]);
  if (nonce !== permit.nonce) {
    return new PermitRejectedError(
      "nonce_used",
      `its nonce ${permit.nonce} was used by another transaction of ${permit.owner} (the token is at ${nonce})`,
      { cause },
    );
  }
  if (block.timestamp > permit.deadline) {
    return new PermitRejectedError("expired", `it expired at ${permit.deadline} (block time ${block.timestamp})`, {
      cause,
    });
  }
  return new PermitRejectedError(
    "refused",
    "the token refused the signature (signed for another chain, token or account?)",
    { cause },
  );
}

/** What each relay publishes it takes, asked once per client. */
const relayLimits = new WeakMap<HydrogenClient, Promise<number>>();

/**
 * Refuses, before anything is paid, arguments larger than the relay takes (spec §9): no fee is
 * escrowed for arguments that could never be uploaded. A relay that does not publish limits, or
 * cannot be reached now, is taken to accept what the schema allows (every relay's default).
 */
async function checkArgsSize(client: HydrogenClient, argsJson: string): Promise<void> {
  let limit = relayLimits.get(client);
  if (!limit) {
    limit = client.relay.limits().then(
      (limits) => limits.task_args_bytes,
      (error: unknown) => {
        // Not published (an older relay), or the relay is down right now: what every relay
        // takes by default. Asked again next time.
        relayLimits.delete(client);
        if (error instanceof RelayUnreachableError) return TASK_ARGS_MAX_BYTES;
        if (error instanceof RelayError && error.code === "RELAY_NOT_FOUND") return TASK_ARGS_MAX_BYTES;
        throw error;
      },
    );
    relayLimits.set(client, limit);
  }
  const bytes = utf8Bytes(argsJson);
  if (bytes > (await limit)) {
    throw new TaskArgsTooLargeError(bytes, await limit, client.relay.url, largestField(JSON.parse(argsJson)));
  }
}

/** The string field that weighs most in the arguments, as a JSON path. */
function largestField(value: unknown, path = ""): { path: string; bytes: number } {
  if (typeof value === "string") return { path, bytes: utf8Bytes(value) };
  if (typeof value !== "object" || value === null) return { path, bytes: 0 };
  let best = { path, bytes: 0 };
  for (const [key, child] of Object.entries(value)) {
    const found = largestField(child, path ? `${path}.${key}` : key);
    if (found.bytes > best.bytes) best = found;
  }
  return best;
}

interface SignedPermit {
  owner: Address;
  nonce: bigint;
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/** An EIP-2612 permit letting the TaskManager take `value` CNX, valid for an hour. */
async function signPermit(client: HydrogenClient, value: bigint): Promise<SignedPermit> {
  const wallet = requireWallet(client, "createTask");
  const { publicClient, contracts } = client;
  const owner = wallet.account.address;
  const [nonce, domain, block] = await Promise.all([
    publicClient.readContract({ address: contracts.CNX, abi: cnxAbi, functionName: "nonces", args: [owner] }),
    publicClient.readContract({ address: contracts.CNX, abi: cnxAbi, functionName: "eip712Domain" }),
    publicClient.getBlock(),
  ]);
  const [, name, version] = domain as readonly [Hex, string, string, bigint, Address, Hex, readonly bigint[]];
  const deadline = block.timestamp + 3600n;
  const signature = await wallet.signTypedData({
    account: wallet.account,
    domain: { name, version, chainId: client.chainId, verifyingContract: contracts.CNX },
    types: permitTypes,
    primaryType: "Permit",
    message: { owner, spender: contracts.TaskManager, value, nonce: nonce as bigint, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { owner, nonce: nonce as bigint, deadline, v: Number(v ?? BigInt(27 + (yParity ?? 0))), r, s };
}

import assert from "node:assert/strict";
import { type DeployOptions, deployHydrogen } from "@hydrogen/deploy";
import {
  AbortReasonValue,
  ChainTaskPhaseValue,
  cnxAbi,
  hydrogenErrorsAbi,
  NodeStatusValue,
  nodeRegistryAbi,
  permitTypes,
  RoundStateValue,
  taskManagerAbi,
} from "@hydrogen/protocol";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  getAddress,
  type Hash,
  type Hex,
  type HttpTransport,
  http,
  keccak256,
  type PublicClient,
  parseEventLogs,
  parseSignature,
  type TestClient,
  type Transport,
  toHex,
  type Chain as ViemChain,
  zeroHash,
} from "viem";
import { getChainId } from "viem/actions";
import { foundry } from "viem/chains";
import { devAccount } from "./accounts.ts";
import { type Anvil, type LocalNode, startAnvil } from "./anvil.ts";
import { startHardhat } from "./hardhat.ts";

/**
 * An HTTP transport to `url` that calls `onRequest` with each JSON-RPC method before sending it:
 * for tests that count what a component asks of the chain.
 */
export function countingTransport(url: string, onRequest: (method: string) => void): Transport {
  const upstream = http(url);
  return (options) => {
    const transport = upstream(options);
    const request = (async (args: { method: string }) => {
      onRequest(args.method);
      return transport.request(args as never);
    }) as typeof transport.request;
    return { ...transport, request };
  };
}

/** Every event and error of the three contracts, for decoding whatever a transaction emits. */
export const allAbi = [...taskManagerAbi, ...nodeRegistryAbi, ...cnxAbi];
const tmAbi = [...taskManagerAbi, ...hydrogenErrorsAbi];
const registryAbi = [...nodeRegistryAbi, ...hydrogenErrorsAbi];
const tokenAbi = [...cnxAbi, ...hydrogenErrorsAbi];

export const CNX = 10n ** 18n;
export const STAKE = 400n * CNX;
export const FEE = 10n * CNX;
export const TIMEOUT = 900;

/** The contracts' enums by name (the protocol package's one definition). */
export const Status = NodeStatusValue;
export const Phase = ChainTaskPhaseValue;
export const Round = RoundStateValue;
export const Reason = AbortReasonValue;

/** The fixture's clients, named so that its type can be written in declarations. */
export type AnvilPublicClient = PublicClient<HttpTransport, ViemChain>;
export type AnvilTestClient = TestClient<"anvil" | "hardhat", HttpTransport, ViemChain>;

/** A viem chain definition for a local chain with id `id` (anvil's 31337, Hardhat's 1337, …). */
export function localChain(id: number): ViemChain {
  return defineChain({ ...foundry, id, name: `local chain ${id}` });
}

export interface ChainOptions {
  /** anvil dev accounts: 0 deployer, 1 incentive pool, 2–3 creators, 4… nodes. */
  accounts?: number;
  deploy?: Partial<DeployOptions>;
  /** Extra anvil arguments. */
  anvilArgs?: string[];
  /** The node's port on 127.0.0.1; a free one when absent. */
  port?: number;
  /**
   * Which EVM implementation: anvil (the default) or Hardhat's `hardhat node` (a second,
   * independent one; `anvilArgs` do not apply).
   */
  node?: "anvil" | "hardhat";
  /** Hardhat only: the chain id (default 1337) and a block every `blockMs` (default: instant). */
  hardhat?: { chainId?: number; blockMs?: number };
}

/**
 * A fresh anvil chain with the contracts deployed, its accounts named and helpers to act on
 * the contracts.
 */
export interface Chain extends Awaited<ReturnType<typeof chainFixture>> {
  publicClient: AnvilPublicClient;
  testClient: AnvilTestClient;
}

/** A fresh local chain with the contracts deployed. */
export async function setupChain(options: ChainOptions = {}): Promise<Chain> {
  const node: LocalNode =
    options.node === "hardhat"
      ? await startHardhat({
          port: options.port || undefined,
          accounts: options.accounts ?? 20,
          chainId: options.hardhat?.chainId,
          blockMs: options.hardhat?.blockMs,
        })
      : await startAnvil({
          port: options.port || undefined,
          args: [
            "--accounts",
            String(options.accounts ?? 20),
            ...(process.env.ANVIL_LOG ? [] : ["--silent"]),
            ...(options.anvilArgs ?? []),
          ],
        });
  const transport = http(node.rpcUrl);
  const chain = localChain(await getChainId(createPublicClient({ transport })));
  const publicClient: AnvilPublicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const testClient: AnvilTestClient = createTestClient({ chain, transport, mode: options.node ?? "anvil" });
  // The clients are added here, under their named types: TypeScript cannot write their
  // inferred types into a declaration file.
  return { ...(await chainFixture(node, publicClient, testClient, options)), publicClient, testClient };
}

async function chainFixture(
  anvil: Anvil,
  publicClient: AnvilPublicClient,
  testClient: AnvilTestClient,
  options: ChainOptions,
) {
  const transport = http(anvil.rpcUrl);
  const chain = publicClient.chain;
  const accounts = (await createWalletClient({ chain, transport }).getAddresses()).map((a) => getAddress(a));
  const at = (index: number): Address => {
    const account = accounts[index];
    if (!account) throw new Error(`no anvil account ${index}`);
    return account;
  };
  const deployer = at(0);
  const pool = at(1);
  const creator = at(2);
  const creator2 = at(3);
  const nodes = accounts.slice(4);
  const wallet = createWalletClient({ chain, transport, account: deployer });
  const deployment = await deployHydrogen(wallet, publicClient, {
    incentivePool: pool,
    taskTimeoutSeconds: TIMEOUT,
    ...options.deploy,
  });
  const { CNX: cnxAddress, NodeRegistry: registryAddress, TaskManager: tmAddress } = deployment.contracts;

  /** Sends a transaction from `account` and returns its receipt and decoded events. */
  async function send(
    address: Address,
    abi: readonly unknown[],
    account: Address,
    functionName: string,
    args: unknown[],
  ) {
    const request = { address, abi, functionName, args, account } as never;
    // The node draw depends on the block's randomness, so the estimate (made against the
    // pending block) can fall short of the mined cost: leave headroom, as wallets do.
    const estimate = await publicClient.estimateContractGas(request);
    const hash: Hash = await wallet.writeContract({ ...(request as object), gas: (estimate * 13n) / 10n } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success", `${functionName} reverted`);
    const events = parseEventLogs({ abi: allAbi, logs: receipt.logs });
    return { receipt, events, gasUsed: receipt.gasUsed };
  }
  const read = (address: Address, abi: readonly unknown[], functionName: string, args: unknown[] = []) =>
    publicClient.readContract({ address, abi, functionName, args } as never) as Promise<unknown>;

  const tm = {
    address: tmAddress,
    send: (account: Address, fn: string, ...args: unknown[]) => send(tmAddress, tmAbi, account, fn, args),
    read: (fn: string, ...args: unknown[]) => read(tmAddress, tmAbi, fn, args),
  };
  const registry = {
    address: registryAddress,
    send: (account: Address, fn: string, ...args: unknown[]) => send(registryAddress, registryAbi, account, fn, args),
    read: (fn: string, ...args: unknown[]) => read(registryAddress, registryAbi, fn, args),
  };
  const cnx = {
    address: cnxAddress,
    send: (account: Address, fn: string, ...args: unknown[]) => send(cnxAddress, tokenAbi, account, fn, args),
    read: (fn: string, ...args: unknown[]) => read(cnxAddress, tokenAbi, fn, args),
  };

  const balance = async (account: Address) => (await cnx.read("balanceOf", account)) as bigint;
  const status = async (node: Address) => Number(await registry.read("statusOf", node));

  async function fund(account: Address, amount: bigint) {
    await cnx.send(deployer, "transfer", account, amount);
  }

  async function join(node: Address) {
    await fund(node, STAKE);
    await cnx.send(node, "approve", registryAddress, STAKE);
    return registry.send(node, "join");
  }

  /** Creates a task from `from` (funding and approving it first) and returns its id and nodes by round. */
  async function createTask(from: Address = creator, taskHash: Hex = keccak256(toHex("task")) as Hex) {
    await fund(from, 3n * FEE);
    await cnx.send(from, "approve", tmAddress, 3n * FEE);
    const result = await tm.send(from, "createTask", taskHash, zeroHash);
    const created = result.events.filter((e) => e.eventName === "TaskCreated") as unknown as {
      args: { taskId: bigint; selectedNode: Address; round: number };
    }[];
    assert.equal(created.length, 3);
    const taskId = created[0]?.args.taskId as bigint;
    const selected = [0, 1, 2].map(
      (round) => created.find((e) => e.args.round === round)?.args.selectedNode as Address,
    );
    return { ...result, taskId, nodes: selected };
  }

  const salts = new Map<string, Hex>();
  const saltFor = (taskId: bigint, round: number): Hex => {
    const key = `${taskId}:${round}`;
    let salt = salts.get(key);
    if (!salt) {
      salt = keccak256(toHex(`salt ${key} ${Math.random()}`));
      salts.set(key, salt);
    }
    return salt;
  };

  async function commit(taskId: bigint, round: number, node: Address, result: Hex) {
    const commitment = (await tm.read("makeCommitment", taskId, node, result, saltFor(taskId, round))) as Hex;
    return tm.send(node, "submitTaskResultCommitment", taskId, round, commitment);
  }

  async function disclose(taskId: bigint, round: number, node: Address, result: Hex) {
    return tm.send(node, "discloseTaskResult", taskId, round, result, saltFor(taskId, round));
  }

  let snapshotId: Hex | undefined;
  return {
    anvil,
    deployment,
    deployer,
    pool,
    creator,
    creator2,
    nodes,
    tm,
    registry,
    cnx,
    balance,
    status,
    fund,
    join,
    createTask,
    commit,
    disclose,
    saltFor,
    async joinNodes(count: number) {
      for (const node of nodes.slice(0, count)) await join(node);
    },
    /** Moves the chain past a task's deadline. */
    async passDeadline() {
      await testClient.increaseTime({ seconds: TIMEOUT + 1 });
      await testClient.mine({ blocks: 1 });
    },
    async snapshot() {
      snapshotId = await testClient.snapshot();
    },
    /** Back to the last snapshot, and a new snapshot of it (anvil consumes one per revert). */
    async restore() {
      if (!snapshotId) throw new Error("no snapshot");
      await testClient.revert({ id: snapshotId });
      snapshotId = await testClient.snapshot();
      salts.clear();
    },
    stop: () => anvil.stop(),
  };
}

/** Asserts that `promise` reverts with the custom error `name` (and `args`, when given). */
export async function expectRevert(promise: Promise<unknown>, name: string, args?: readonly unknown[]) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BaseError, `expected a viem error, got ${String(error)}`);
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    assert.ok(revert instanceof ContractFunctionRevertedError, `expected a revert, got ${error.shortMessage}`);
    assert.equal(
      revert.data?.errorName,
      name,
      `expected ${name}, got ${revert.data?.errorName ?? revert.shortMessage}`,
    );
    if (args) assert.deepEqual(revert.data?.args, args);
    return true;
  });
}

/** The named events of a transaction, in log order. */
export function eventNames(events: { eventName: string }[]): string[] {
  return events.map((e) => e.eventName);
}

/** An 8-byte-per-image result; `variant` flips `bits` bits in every chunk. */
export function result(images = 1, variant = 0, bits = 0): Hex {
  const bytes = new Uint8Array(images * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
  for (let image = 0; image < images; image++) {
    for (let b = 0; b < bits; b++) {
      const bit = (b * 7 + variant * 13) % 64;
      const index = image * 8 + Math.floor(bit / 8);
      bytes[index] = (bytes[index] as number) ^ (1 << (bit % 8));
    }
  }
  return toHex(bytes);
}

/** Signs an EIP-2612 permit for CNX with the key of anvil account `index`. */
export async function signPermit(
  c: Chain,
  index: number,
  spender: Address,
  value: bigint,
  deadline: bigint,
): Promise<{ v: number; r: Hex; s: Hex }> {
  const account = devAccount(index);
  const nonce = (await c.cnx.read("nonces", account.address)) as bigint;
  const signature = await account.signTypedData({
    domain: { name: "Hydrogen CNX", version: "1", chainId: c.deployment.chainId, verifyingContract: c.cnx.address },
    types: permitTypes,
    primaryType: "Permit",
    message: { owner: account.address, spender, value, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { v: Number(v ?? BigInt(27 + (yParity ?? 0))), r, s };
}

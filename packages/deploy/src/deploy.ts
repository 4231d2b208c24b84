import {
  cnxAbi,
  cnxBytecode,
  type Deployment,
  nextDelay,
  nodeRegistryAbi,
  nodeRegistryBytecode,
  sleep,
  taskManagerAbi,
  taskManagerBytecode,
} from "@hydrogen/protocol";
import {
  type Account,
  type Address,
  type Chain,
  getAddress,
  type Hash,
  type PublicClient,
  parseEther,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type Transport,
  type WalletClient,
} from "viem";
import { DeployError, deployPreflight, deployStepError } from "./preflight.ts";

export { DeployError } from "./preflight.ts";

/** Deployment parameters; every field but `incentivePool` has the spec's default. */
export interface DeployOptions {
  /** Receives slashed stakes. Must not be the owner's own wallet (spec §2). */
  incentivePool: Address;
  /** Owner of both contracts; defaults to the deployer. Another owner must accept (two-step). */
  owner?: Address;
  /** An existing CNX token; when absent a new one is deployed, its supply minted to the deployer. */
  token?: Address;
  /** Supply of a newly deployed CNX, in wei. Default 1,000,000,000 CNX. */
  initialSupply?: bigint;
  /** Default 400 CNX. */
  stakeAmount?: bigint;
  /** Default 10 CNX. */
  feePerNode?: bigint;
  /** Default 100,000. */
  maxNodes?: number;
  /** Default 5 bits. */
  distanceThreshold?: number;
  /** Default 900 s (15 minutes). */
  taskTimeoutSeconds?: number;
}

export const DEPLOY_DEFAULTS = {
  initialSupply: parseEther("1000000000"),
  stakeAmount: parseEther("400"),
  feePerNode: parseEther("10"),
  maxNodes: 100_000,
  distanceThreshold: 5,
  taskTimeoutSeconds: 900,
} as const;

type Wallet = WalletClient<Transport, Chain | undefined, Account>;

/**
 * Deploys CNX (unless given), NodeRegistry and TaskManager, links them, and returns the
 * deployment record that `deployments/<chainId>.json` stores.
 *
 * @example
 * const deployment = await deployHydrogen(wallet, publicClient, { incentivePool: pool });
 */
export async function deployHydrogen(
  wallet: Wallet,
  publicClient: PublicClient,
  options: DeployOptions,
): Promise<Deployment> {
  const deployer = wallet.account.address;
  const params = { ...DEPLOY_DEFAULTS, ...definedOnly(options) };
  const owner = params.owner ?? deployer;
  await deployPreflight(publicClient, { ...params, deployer, owner, incentivePool: options.incentivePool });
  const chainId = await publicClient.getChainId();
  const confirm = async (step: string, hash: Hash) => {
    const receipt = await receiptOf(publicClient, hash);
    if (receipt.status !== "success") throw new DeployError(`${step}: transaction ${hash} reverted`);
    return receipt;
  };
  const deploy = async (name: string, abi: readonly unknown[], bytecode: `0x${string}`, args: readonly unknown[]) => {
    const hash = await wallet
      .deployContract({ abi, bytecode, args, chain: wallet.chain ?? null } as never)
      .catch((error: unknown) => Promise.reject(deployStepError(`deploying ${name}`, error)));
    const receipt = await confirm(`deploying ${name}`, hash);
    if (!receipt.contractAddress) throw new DeployError(`deploying ${name}: transaction ${hash} created no contract`);
    return { address: getAddress(receipt.contractAddress), block: Number(receipt.blockNumber) };
  };

  const cnx = options.token ? undefined : await deploy("CNX", cnxAbi, cnxBytecode, [params.initialSupply]);
  const token: Address = options.token ?? (cnx?.address as Address);
  let firstBlock = cnx?.block;
  const registry = await deploy("NodeRegistry", nodeRegistryAbi, nodeRegistryBytecode, [
    token,
    deployer,
    options.incentivePool,
    params.stakeAmount,
    BigInt(params.maxNodes),
  ]);
  firstBlock ??= registry.block;
  const taskManager = await deploy("TaskManager", taskManagerAbi, taskManagerBytecode, [
    token,
    registry.address,
    deployer,
    params.feePerNode,
    BigInt(params.distanceThreshold),
    BigInt(params.taskTimeoutSeconds),
  ]);
  const write = async (address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[]) => {
    const hash = await wallet
      .writeContract({ address, abi, functionName, args, chain: wallet.chain ?? null } as never)
      .catch((error: unknown) => Promise.reject(deployStepError(functionName, error)));
    return confirm(functionName, hash);
  };
  await write(registry.address, nodeRegistryAbi, "setTaskManager", [taskManager.address]);

  if (owner.toLowerCase() !== deployer.toLowerCase()) {
    await write(registry.address, nodeRegistryAbi, "transferOwnership", [owner]);
    await write(taskManager.address, taskManagerAbi, "transferOwnership", [owner]);
  }

  return {
    chainId,
    deploymentBlock: firstBlock,
    deployer,
    contracts: { CNX: token, NodeRegistry: registry.address, TaskManager: taskManager.address },
    parameters: {
      owner,
      incentivePool: options.incentivePool,
      stakeAmount: params.stakeAmount.toString(),
      feePerNode: params.feePerNode.toString(),
      maxNodes: params.maxNodes,
      distanceThreshold: params.distanceThreshold,
      taskTimeoutSeconds: params.taskTimeoutSeconds,
    },
    deployedAt: new Date().toISOString(),
  };
}

/**
 * A transaction's receipt, looked for after 50 ms and then at doubling intervals up to 2 s: a
 * chain that mines at once answers at once, one with 12-s blocks is asked a few times a block.
 */
async function receiptOf(publicClient: PublicClient, hash: Hash, timeoutMs = 600_000): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 0; ; ) {
    wait = nextDelay(wait, { firstMs: 50, maxMs: 2000 });
    await sleep(wait);
    try {
      return await publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      if (!(error instanceof TransactionReceiptNotFoundError)) throw error;
      if (Date.now() > deadline)
        throw new DeployError(`transaction ${hash} was not mined within ${timeoutMs / 1000} s`);
    }
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

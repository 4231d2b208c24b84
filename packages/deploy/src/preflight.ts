import { cnxAbi, decodeContractRevert, hydrogenErrorsAbi, nodeRegistryAbi, taskManagerAbi } from "@hydrogen/protocol";
import { type Address, BaseError, decodeErrorResult, type Hex, maxUint96, type PublicClient, zeroAddress } from "viem";

/** A deployment that cannot work, found before anything is sent (or a deployment step that reverted). */
export class DeployError extends Error {
  override readonly name = "DeployError";
}

/** The parameters the contracts check in their constructors, checked here first. */
export interface DeployParameters {
  deployer: Address;
  owner: Address;
  incentivePool: Address;
  token?: Address;
  stakeAmount: bigint;
  feePerNode: bigint;
  maxNodes: number;
  distanceThreshold: number;
  taskTimeoutSeconds: number;
}

/**
 * Creation code that runs TLOAD (EIP-1153) and MCOPY (EIP-5656), then stops: it fails on a
 * chain without Cancun, whose opcodes the contracts (compiled for Cancun) use.
 */
const CANCUN_PROBE = "0x5f5c505f5f5f5e00";

/**
 * Every problem with a deployment that can be seen before sending anything: the arguments the
 * constructors would refuse, an incentive pool that is the owner's own wallet (spec §2), a
 * token that is not a contract, a chain without Cancun, a deployer without gas money.
 */
export async function deployPreflight(publicClient: PublicClient, params: DeployParameters): Promise<void> {
  const problems: string[] = [];
  const same = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase();
  if (same(params.incentivePool, zeroAddress)) problems.push("the incentive pool is the zero address");
  else if (same(params.incentivePool, params.owner)) {
    problems.push("the incentive pool is the owner's own wallet: slashed stakes must not go to the owner");
  }
  if (same(params.owner, zeroAddress)) problems.push("the owner is the zero address");
  if (params.token && same(params.token, zeroAddress)) problems.push("the token is the zero address");
  if (params.stakeAmount <= 0n || params.stakeAmount > maxUint96) problems.push("the stake must be > 0 and < 2^96 wei");
  if (params.feePerNode <= 0n || params.feePerNode > maxUint96 / 3n)
    problems.push("the fee per node must be > 0 and < 2^96/3 wei");
  if (params.maxNodes < 3 || params.maxNodes > 2 ** 32 - 1) problems.push("maxNodes must be at least 3 and below 2^32");
  if (params.distanceThreshold < 1 || params.distanceThreshold > 64)
    problems.push("the threshold must be 1 to 64 bits");
  if (params.taskTimeoutSeconds < 1 || params.taskTimeoutSeconds > 30 * 86_400) {
    problems.push("the task timeout must be 1 s to 30 days");
  }
  if (problems.length > 0) throw new DeployError(`nothing was deployed:\n  ${problems.join("\n  ")}`);

  const tokenCode = params.token ? await publicClient.getCode({ address: params.token }) : "0x00";
  if (!tokenCode || tokenCode === "0x") {
    throw new DeployError(`nothing was deployed: the token ${params.token} is not a contract on this chain`);
  }
  try {
    await publicClient.call({ data: CANCUN_PROBE });
  } catch (error) {
    throw new DeployError(
      "nothing was deployed: this chain does not run Cancun (EIP-1153 transient storage, EIP-5656 MCOPY), " +
        `which the contracts are compiled for (${(error as Error).message.split("\n")[0]})`,
    );
  }
  if ((await publicClient.getBalance({ address: params.deployer })) === 0n) {
    throw new DeployError(`nothing was deployed: the deployer ${params.deployer} has no ETH for gas`);
  }
}

/** Every error the deployed contracts (and the token) can revert with. */
const ERRORS_ABI = [...nodeRegistryAbi, ...taskManagerAbi, ...cnxAbi, ...hydrogenErrorsAbi].filter(
  (e) => e.type === "error",
);

/** A deployment step's failure as a DeployError naming the step and, when it is one, the custom error. */
export function deployStepError(step: string, error: unknown): DeployError {
  const revert = decodeContractRevert(error) ?? decodeRevertData(error);
  if (revert) {
    return new DeployError(`${step} reverted with ${revert.errorName}(${revert.args.join(", ")})`, { cause: error });
  }
  const message = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
  return new DeployError(`${step} failed: ${message}`, { cause: error });
}

/** Revert data anywhere in a viem error (a constructor's revert comes as raw data), decoded. */
function decodeRevertData(error: unknown): { errorName: string; args: readonly unknown[] } | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string");
  const data = (withData as { data?: Hex } | null)?.data;
  if (!data || data.length < 10) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: ERRORS_ABI, data });
    return { errorName: decoded.errorName, args: (decoded.args ?? []) as readonly unknown[] };
  } catch {
    return undefined;
  }
}

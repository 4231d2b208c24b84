import { BaseError, ContractFunctionRevertedError } from "viem";

/** A contract's custom error, decoded: its name and arguments. */
export interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
}

/**
 * The custom error inside a viem error (a call, estimate or simulation that reverted), or
 * undefined for anything else (a transport failure, a revert without a known error). The one
 * revert decoder: the node's transaction sender and the SDK each wrap it in their typed error.
 *
 * @example
 * decodeContractRevert(error)?.errorName // "NotEnoughAvailableNodes"
 */
export function decodeContractRevert(error: unknown): DecodedRevert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(revert instanceof ContractFunctionRevertedError) || !revert.data?.errorName) return undefined;
  return { errorName: revert.data.errorName, args: (revert.data.args ?? []) as readonly unknown[] };
}

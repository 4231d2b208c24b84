import { cnxAbi } from "./cnx.ts";
import { nodeRegistryAbi } from "./nodeRegistry.ts";
import { taskManagerAbi } from "./taskManager.ts";

export { cnxAbi, cnxBytecode } from "./cnx.ts";
export * from "./enums.ts";
export { nodeRegistryAbi, nodeRegistryBytecode } from "./nodeRegistry.ts";
export { type DecodedRevert, decodeContractRevert } from "./revert.ts";
export { isRetryableRpcError, isRevert } from "./rpc-errors.ts";
export { taskManagerAbi, taskManagerBytecode } from "./taskManager.ts";

/**
 * Every custom error any Hydrogen contract can revert with. A TaskManager call can bubble up
 * the registry's or the token's errors, so decode reverts with this list.
 *
 * @example
 * decodeErrorResult({ abi: hydrogenErrorsAbi, data })
 */
export const hydrogenErrorsAbi = [
  ...taskManagerAbi.filter((item) => item.type === "error"),
  ...nodeRegistryAbi.filter((item) => item.type === "error"),
  ...cnxAbi.filter((item) => item.type === "error"),
];

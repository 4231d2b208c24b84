import { readFileSync } from "node:fs";
import { ConfigError } from "./config.ts";

/** Where a service finds the contracts: the TaskManager and the block to follow from. */
export interface DeploymentRef {
  taskManager: string;
  deploymentBlock: number;
}

/**
 * The TaskManager and deployment block from a `deployments/<chainId>.json` file, which must be
 * for `chainId`: the configuration error says which file and why.
 *
 * @example
 * const { taskManager, deploymentBlock } = readDeploymentFile("deployments/1337.json", 1337);
 */
export function readDeploymentFile(file: string, chainId: number): DeploymentRef {
  let deployment: { chainId?: unknown; deploymentBlock?: unknown; contracts?: { TaskManager?: unknown } };
  try {
    deployment = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`cannot read deployment ${file}: ${(error as Error).message}`);
  }
  if (deployment.chainId !== chainId) {
    throw new ConfigError(`deployment ${file} is for chain ${String(deployment.chainId)}, not ${chainId}`);
  }
  const taskManager = deployment.contracts?.TaskManager;
  const block = deployment.deploymentBlock;
  if (typeof taskManager !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(taskManager)) {
    throw new ConfigError(`deployment ${file} names no TaskManager address`);
  }
  if (typeof block !== "number" || !Number.isSafeInteger(block) || block < 0) {
    throw new ConfigError(`deployment ${file} has no valid deploymentBlock`);
  }
  return { taskManager, deploymentBlock: block };
}

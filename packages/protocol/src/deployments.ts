import type { Address } from "viem";

/**
 * What `deployments/<chainId>.json` holds: where the contracts of one chain are and how they
 * were parameterised. Every component reads it to find the contracts.
 */
export interface Deployment {
  chainId: number;
  /** Block of the first deployment transaction: followers start scanning logs here. */
  deploymentBlock: number;
  deployer: Address;
  contracts: {
    CNX: Address;
    NodeRegistry: Address;
    TaskManager: Address;
  };
  parameters: {
    owner: Address;
    incentivePool: Address;
    /** Decimal strings of wei amounts. */
    stakeAmount: string;
    feePerNode: string;
    maxNodes: number;
    distanceThreshold: number;
    taskTimeoutSeconds: number;
  };
  deployedAt: string;
}

/** The file name a chain's deployment is stored under. */
export function deploymentFileName(chainId: number): string {
  return `${chainId}.json`;
}

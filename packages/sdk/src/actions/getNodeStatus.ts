import { cnxAbi, NODE_STATUSES, type NodeStatus, nodeRegistryAbi } from "@hydrogen/protocol";
import type { Address } from "viem";
import type { HydrogenClient } from "../client.ts";

export { NODE_STATUSES, type NodeStatus };

export interface GetNodeStatusParameters {
  node: Address;
}

export interface GetNodeStatusReturnType {
  node: Address;
  status: NodeStatus;
  /** 0 when the node never joined (or quit). */
  nodeId: number;
  /** CNX wei staked. */
  stake: bigint;
  /** CNX wei the node's account holds. */
  balance: bigint;
}

/**
 * A node's status, stake and balance as the NodeRegistry and the token have them.
 *
 * @example
 * const { status, stake } = await getNodeStatus(client, { node: "0x…" });
 */
export async function getNodeStatus(
  client: HydrogenClient,
  parameters: GetNodeStatusParameters,
): Promise<GetNodeStatusReturnType> {
  const registry = { address: client.contracts.NodeRegistry, abi: nodeRegistryAbi } as const;
  const args = [parameters.node] as const;
  const [status, nodeId, stake, balance] = await Promise.all([
    client.publicClient.readContract({ ...registry, functionName: "statusOf", args }),
    client.publicClient.readContract({ ...registry, functionName: "nodeId", args }),
    client.publicClient.readContract({ ...registry, functionName: "stakeOf", args }),
    client.publicClient.readContract({ address: client.contracts.CNX, abi: cnxAbi, functionName: "balanceOf", args }),
  ]);
  return {
    node: parameters.node,
    status: NODE_STATUSES[Number(status)] ?? "Quit",
    nodeId: Number(nodeId),
    stake: stake as bigint,
    balance: balance as bigint,
  };
}

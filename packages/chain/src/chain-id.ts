import type { PublicClient } from "viem";

/** The RPC serves another chain than the one configured (and the deployment is for). */
export class ChainMismatchError extends Error {
  override readonly name = "ChainMismatchError";
  constructor(
    readonly expected: number,
    readonly actual: number,
    url: string,
  ) {
    super(`the RPC at ${url} serves chain ${actual}, but the configuration and deployment are for chain ${expected}`);
  }
}

/**
 * Refuses to start against the wrong chain: the RPC's `eth_chainId` must be `expected`.
 *
 * @example
 * await assertChainId(client, config.chain.chainId, config.chain.rpcUrl);
 */
export async function assertChainId(client: Pick<PublicClient, "getChainId">, expected: number, url: string) {
  const actual = await client.getChainId();
  if (actual !== expected) throw new ChainMismatchError(expected, actual, url.replace(/\/\/[^@/]*@/, "//***@"));
}

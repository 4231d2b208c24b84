import type { HydrogenClient } from "./client.ts";
import { WrongChainError } from "./errors.ts";

/** Per client: each check, made once (a failed one is made again next time). */
const rpcChecked = new WeakMap<HydrogenClient, Promise<void>>();
const walletChecked = new WeakMap<HydrogenClient, Promise<void>>();

function once(cache: WeakMap<HydrogenClient, Promise<void>>, client: HydrogenClient, check: () => Promise<void>) {
  let pending = cache.get(client);
  if (!pending) {
    pending = check();
    cache.set(client, pending);
    pending.catch(() => cache.delete(client));
  }
  return pending;
}

/**
 * Refuses to read when the RPC is on another chain than the deployment's: the contracts'
 * addresses would name other contracts, or none, and every answer would be wrong without an
 * error. Asked once per client; every log read of the SDK goes through it.
 */
export function ensureRpcChain(client: HydrogenClient): Promise<void> {
  return once(rpcChecked, client, async () => {
    const rpc = await client.publicClient.getChainId();
    if (rpc !== client.chainId) throw new WrongChainError("rpc", rpc, client.chainId);
  });
}

/**
 * Refuses to send anything when the RPC, or the wallet, is on another chain than the
 * deployment's: a fee paid on the wrong chain would go to contracts that are not Hydrogen's, or
 * nowhere. Asked once per client.
 */
export async function ensureChain(client: HydrogenClient): Promise<void> {
  await ensureRpcChain(client);
  await once(walletChecked, client, async () => {
    const wallet = client.walletClient;
    // A local account signs for any chain; an injected wallet sends on the one it is switched to.
    if (wallet && wallet.account.type !== "local") {
      const walletChain = await wallet.getChainId();
      if (walletChain !== client.chainId) throw new WrongChainError("wallet", walletChain, client.chainId);
    }
  });
}

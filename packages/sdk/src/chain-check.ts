import type { HydrogenClient } from "./client.ts";
import { WrongChainError } from "./errors.ts";

/** Per client: the check, made once (a failed one is made again next time). */
const checked = new WeakMap<HydrogenClient, Promise<void>>();

/**
 * Refuses to send anything when the RPC, or the wallet, is on another chain than the
 * deployment's: a fee paid on the wrong chain would go to contracts that are not Hydrogen's, or
 * nowhere. Asked once per client.
 */
export function ensureChain(client: HydrogenClient): Promise<void> {
  let check = checked.get(client);
  if (!check) {
    check = (async () => {
      const rpc = await client.publicClient.getChainId();
      if (rpc !== client.chainId) throw new WrongChainError("rpc", rpc, client.chainId);
      const wallet = client.walletClient;
      // A local account signs for any chain; an injected wallet sends on the one it is switched to.
      if (wallet && wallet.account.type !== "local") {
        const walletChain = await wallet.getChainId();
        if (walletChain !== client.chainId) throw new WrongChainError("wallet", walletChain, client.chainId);
      }
    })();
    checked.set(client, check);
    check.catch(() => checked.delete(client));
  }
  return check;
}

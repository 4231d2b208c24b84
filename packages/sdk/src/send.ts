import { isRetryableRpcError, nextDelay, sleep } from "@hydrogen/protocol";
import { type Hash, type Hex, keccak256 } from "viem";
import { isNonceConflict } from "./account-lane.ts";
import type { HydrogenClient, HydrogenWallet } from "./client.ts";

/** A transaction to send: a call (or a plain transfer) with its gas limit when known. */
export interface TransactionCall {
  to: `0x${string}`;
  data?: Hex;
  value?: bigint;
  gas?: bigint;
}

/** How many times a signed transaction is sent again after a provider's transient failure. */
const SEND_ATTEMPTS = 6;

/**
 * Sends a transaction from the wallet's account and returns its hash. A local account's
 * transaction is signed here and its bytes sent through the client's RPC, again after a
 * transient failure (429, 5xx, a timeout, a dropped connection: a public provider's everyday
 * answers), never rebuilt: "already known", or a nonce taken by this very transaction, means
 * it is in. An injected wallet (EIP-1193) sends by itself.
 *
 * @example
 * const hash = await sendTransactionCall(client, wallet, { to: cnx, data: encodeFunctionData({ … }) });
 */
export async function sendTransactionCall(
  client: HydrogenClient,
  wallet: HydrogenWallet,
  call: TransactionCall,
): Promise<Hash> {
  const account = wallet.account;
  const request = { ...call, account, chain: wallet.chain ?? null };
  if (account.type !== "local") return wallet.sendTransaction(request as never);
  const prepared = await wallet.prepareTransactionRequest(request as never);
  const serialized = await wallet.signTransaction(prepared as never);
  return sendSigned(client, serialized);
}

/** Sends signed bytes until the RPC takes them (see `sendTransactionCall`). */
export async function sendSigned(client: HydrogenClient, serialized: Hex): Promise<Hash> {
  const hash = keccak256(serialized);
  let delay = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      // viem never retries a send by itself (it cannot tell a lost answer from a lost request).
      return await client.publicClient.request(
        { method: "eth_sendRawTransaction", params: [serialized] },
        { retryCount: 0 },
      );
    } catch (error) {
      if (isAlreadyKnown(error)) return hash; // these very bytes: ours
      // An earlier try may have got through and been mined since: its nonce is then taken.
      if (attempt > 1 && isNonceConflict(error) && (await isKnown(client, hash))) return hash;
      if (attempt >= SEND_ATTEMPTS || !isRetryableRpcError(error)) throw error;
      delay = nextDelay(delay, { firstMs: 250, maxMs: 4000 });
      await sleep(delay);
    }
  }
}

function isAlreadyKnown(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/already known|known transaction|already imported|transaction already exists/i.test(e.message)) return true;
  }
  return false;
}

async function isKnown(client: HydrogenClient, hash: Hash): Promise<boolean> {
  return client.publicClient
    .getTransaction({ hash })
    .then(() => true)
    .catch(() => false);
}

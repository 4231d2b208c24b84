import type { Address } from "viem";
import type { HydrogenClient } from "./client.ts";

/** Per client and account: the end of the queue of what that account sends. */
const lanes = new WeakMap<HydrogenClient, Map<Address, Promise<unknown>>>();

/**
 * Runs `work` when everything this client sends for `account` before it has finished: the
 * allowance, the permit nonce and the account nonce that `work` reads are then the ones the
 * previous transaction left, so any number of concurrent calls from one client succeed. A
 * failure does not block the calls queued behind it.
 *
 * @example
 * const receipt = await inAccountLane(client, account, () => sendPaidTransaction());
 */
export function inAccountLane<T>(client: HydrogenClient, account: Address, work: () => Promise<T>): Promise<T> {
  let perClient = lanes.get(client);
  if (!perClient) {
    perClient = new Map();
    lanes.set(client, perClient);
  }
  const key = account.toLowerCase() as Address;
  const previous = perClient.get(key) ?? Promise.resolve();
  const result = previous.then(work, work);
  const tail = result.catch(() => {});
  perClient.set(key, tail);
  // The last one out removes the lane, so an idle client holds nothing.
  void tail.then(() => {
    if (perClient.get(key) === tail) perClient.delete(key);
  });
  return result;
}

/**
 * Whether a send failed because another sender of the same account took the nonce first (a
 * second process, another tab): the transaction can be built again and sent. Not "already
 * known": that is this very transaction sent twice (a transport retry), which is pending, and
 * building another would create a second task and pay twice.
 */
export function isNonceConflict(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/nonce too low|nonce has already been used|replacement transaction underpriced/i.test(e.message)) {
      return true;
    }
  }
  return false;
}

import type { SessionStore, StoredSession } from "@hydrogen/sdk";
import type { Address } from "viem";

/**
 * Keeps the relay session (spec §7) in localStorage, so the wallet signs one delegation a day
 * rather than one per page load. The session key can sign relay requests for the account until
 * the delegation expires — nothing on chain, no payment.
 */
export function localSessionStore(chainId: number, taskManager: Address): SessionStore {
  const key = (account: Address) => `hydrogen.session.${chainId}.${taskManager.toLowerCase()}.${account.toLowerCase()}`;
  return {
    load(account) {
      try {
        const text = window.localStorage.getItem(key(account));
        return text ? (JSON.parse(text) as StoredSession) : undefined;
      } catch {
        return undefined; // storage disabled, or a value this version cannot read: a new session
      }
    },
    save(session) {
      try {
        window.localStorage.setItem(key(session.account), JSON.stringify(session));
      } catch {
        // Storage full or disabled: the session still lives in memory for this page.
      }
    },
  };
}

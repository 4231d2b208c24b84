import { type SessionDelegation, sessionHeader, signSession, type TypedDataSigner } from "@hydrogen/protocol";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { HydrogenWallet } from "./client.ts";

/** A session: the key that signs relay requests and the account's delegation to it. */
export interface StoredSession extends SessionDelegation {
  /** The account that delegated. */
  account: Address;
  /** The session key (it can sign relay requests for the account, nothing else). */
  privateKey: Hex;
}

/**
 * Where sessions are kept between page loads (a browser's localStorage, say); without one they
 * live in memory. A stored session is used until shortly before it expires.
 */
export interface SessionStore {
  load(account: Address): StoredSession | undefined | Promise<StoredSession | undefined>;
  save(session: StoredSession): void | Promise<void>;
}

export interface RelaySessionOptions {
  /** How long a session runs. Default 86,400 s (a day, the most the relay accepts). */
  seconds?: number;
  store?: SessionStore;
  /** Unix seconds; `Date.now` unless a test shifts it. */
  now?: () => number;
}

/** A session is renewed this long before it expires (a request must not carry a dying one). */
const RENEW_BEFORE_SECONDS = 300;

/**
 * Relay sessions for a wallet that should not sign every relay request (spec §7): the first
 * signed request generates a session key in memory and asks the wallet once to sign the
 * delegation; every request after, until the session is about to expire, is signed by the key.
 * Concurrent first requests share the one prompt.
 *
 * @example
 * createRelayClient({ url, chainId, taskManager, session: relaySessions(wallet, domain) });
 */
export function relaySessions(
  wallet: HydrogenWallet,
  domain: { chainId: number; taskManager: Address },
  options: RelaySessionOptions = {},
): () => Promise<{ signer: TypedDataSigner; header: string }> {
  const seconds = Math.min(options.seconds ?? 86_400, 86_400);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  let current: Promise<StoredSession> | undefined;

  const fresh = (session: StoredSession | undefined) =>
    session !== undefined &&
    session.account.toLowerCase() === wallet.account.address.toLowerCase() &&
    session.expiresAt - RENEW_BEFORE_SECONDS > now();

  const open = async (): Promise<StoredSession> => {
    const stored = await options.store?.load(wallet.account.address);
    if (stored && fresh(stored)) return stored;
    const privateKey = generatePrivateKey();
    const sessionKey = privateKeyToAccount(privateKey).address;
    const delegation = await signSession({
      ...domain,
      signer: { signTypedData: (typedData) => wallet.signTypedData({ ...typedData, account: wallet.account }) },
      sessionKey,
      // A whole number of minutes, a little under the limit (the relay's clock may run ahead).
      expiresAt: now() + seconds - 60,
    });
    const session = { ...delegation, account: wallet.account.address, privateKey };
    await options.store?.save(session);
    return session;
  };

  return async () => {
    let session = current ? await current.catch(() => undefined) : undefined;
    if (!fresh(session)) {
      current = open();
      current.catch(() => {
        current = undefined; // a refused prompt is asked again next time
      });
      session = await current;
    }
    const signing = session as StoredSession;
    return { signer: privateKeyToAccount(signing.privateKey), header: sessionHeader(signing) };
  };
}

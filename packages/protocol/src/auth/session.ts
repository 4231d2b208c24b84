import { type Address, type Hex, recoverAddress } from "viem";
import { sessionDigest } from "./digest.ts";
import { RequestAuthError } from "./errors.ts";
import { type RelayDomain, relayDomain } from "./request.ts";

/** The request header that carries an account's session delegation (spec §7, "Sessions"). */
export const HEADER_SESSION = "x-hydrogen-session";

/** The longest a delegation may run: a day. */
export const SESSION_MAX_SECONDS = 86_400;

export const sessionTypes = {
  Session: [
    { name: "sessionKey", type: "address" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const;

/** An account that signs the delegation: a wallet, asked once. */
export interface SessionSigner {
  signTypedData(parameters: {
    domain: ReturnType<typeof relayDomain>;
    types: typeof sessionTypes;
    primaryType: "Session";
    message: { sessionKey: Address; expiresAt: bigint };
  }): Promise<Hex>;
}

/** An account's delegation to a session key, as a request carries it. */
export interface SessionDelegation {
  sessionKey: Address;
  /** Unix seconds. */
  expiresAt: number;
  /** The account's EIP-712 signature of `Session(sessionKey, expiresAt)`. */
  signature: Hex;
}

/**
 * Asks `signer` (the account) to delegate its relay requests to `sessionKey` until `expiresAt`:
 * one wallet prompt, after which the session key signs every request (spec §7).
 *
 * @example
 * const key = privateKeyToAccount(generatePrivateKey());
 * const session = await signSession({ chainId, taskManager, signer: wallet, sessionKey: key.address, expiresAt });
 */
export async function signSession(
  parameters: RelayDomain & { signer: SessionSigner; sessionKey: Address; expiresAt: number },
): Promise<SessionDelegation> {
  const signature = await parameters.signer.signTypedData({
    domain: relayDomain(parameters),
    types: sessionTypes,
    primaryType: "Session",
    message: { sessionKey: parameters.sessionKey, expiresAt: BigInt(parameters.expiresAt) },
  });
  return { sessionKey: parameters.sessionKey, expiresAt: parameters.expiresAt, signature };
}

/** The header value: `<expiresAt>.<signature>` (the session key is the request's signer). */
export function sessionHeader(delegation: Pick<SessionDelegation, "expiresAt" | "signature">): string {
  return `${delegation.expiresAt}.${delegation.signature}`;
}

/**
 * The account a session-signed request speaks for: the delegation in `header` must be signed
 * by an account for `sessionKey` (the request's recovered signer), and expire in the future,
 * at most a day ahead. Throws `RequestAuthError` (MALFORMED, BAD_SIGNATURE, SESSION_EXPIRED,
 * SESSION_TOO_LONG).
 */
export async function verifySession(
  parameters: RelayDomain & {
    header: string;
    sessionKey: Address;
    /** Unix seconds; default now. */
    now?: number;
    recover?: (digest: Hex, signature: Hex) => Address | Promise<Address>;
    keccak?: (data: Uint8Array) => Uint8Array;
  },
): Promise<{ account: Address; expiresAt: number }> {
  const match = /^(\d{1,15})\.(0x[0-9a-fA-F]{130})$/.exec(parameters.header);
  if (!match) throw new RequestAuthError("RELAY_AUTH_MALFORMED", `${HEADER_SESSION} is not <expiresAt>.<signature>`);
  const expiresAt = Number(match[1]);
  const signature = match[2] as Hex;
  const now = parameters.now ?? Math.floor(Date.now() / 1000);
  if (expiresAt <= now) throw new RequestAuthError("RELAY_AUTH_SESSION_EXPIRED", `expired at ${expiresAt}`);
  if (expiresAt > now + SESSION_MAX_SECONDS) {
    throw new RequestAuthError("RELAY_AUTH_SESSION_TOO_LONG", `expires at ${expiresAt}, relay time ${now}`);
  }
  const digest = sessionDigest(
    parameters,
    { sessionKey: parameters.sessionKey, expiresAt: BigInt(expiresAt) },
    parameters.keccak,
  );
  const recover =
    parameters.recover ?? ((hash: Hex, sig: Hex) => recoverAddress({ hash, signature: sig }) as Promise<Address>);
  try {
    return { account: await recover(digest, signature), expiresAt };
  } catch (error) {
    throw new RequestAuthError("RELAY_AUTH_BAD_SIGNATURE", (error as Error).message.split("\n")[0]);
  }
}

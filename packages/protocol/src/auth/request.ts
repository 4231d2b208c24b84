import { sha256 } from "@noble/hashes/sha2";
import { type Address, bytesToHex, type Hex, recoverAddress, stringToBytes } from "viem";
import { requestDigest } from "./digest.ts";
import { RequestAuthError } from "./errors.ts";

/** The headers of a signed relay request (spec §7). */
export const HEADER_TIMESTAMP = "x-hydrogen-timestamp";
export const HEADER_CONTENT_SHA256 = "x-hydrogen-content-sha256";
export const HEADER_SIGNATURE = "x-hydrogen-signature";

/** How far (seconds) a request's timestamp may be from the relay's clock. */
export const SIGNATURE_WINDOW_SECONDS = 60;

/** SHA-256 of the empty body. */
export const EMPTY_BODY_SHA256: Hex = bytesToHex(sha256(new Uint8Array()));

export const requestTypes = {
  Request: [
    { name: "method", type: "string" },
    { name: "path", type: "string" },
    { name: "bodyHash", type: "bytes32" },
    { name: "timestamp", type: "uint64" },
  ],
} as const;

/** The relay's EIP-712 domain: bound to one chain and one TaskManager. */
export interface RelayDomain {
  chainId: number;
  taskManager: Address;
}

/**
 * The EIP-712 domain of relay requests.
 *
 * @example
 * relayDomain({ chainId: 31337, taskManager: "0x…" }) // { name: "Hydrogen Relay", version: "1", … }
 */
export function relayDomain({ chainId, taskManager }: RelayDomain) {
  return { name: "Hydrogen Relay", version: "1", chainId, verifyingContract: taskManager } as const;
}

/** Anything that signs EIP-712 typed data: a viem Account, a WalletClient with an account, a browser wallet. */
export interface TypedDataSigner {
  signTypedData(parameters: {
    domain: ReturnType<typeof relayDomain>;
    types: typeof requestTypes;
    primaryType: "Request";
    message: { method: string; path: string; bodyHash: Hex; timestamp: bigint };
  }): Promise<Hex>;
}

/**
 * SHA-256 of a request body, hex. Incremental use (a streamed upload) goes through `bodyHasher`.
 *
 * @example
 * bodySha256('{"task_id":"1"}')
 */
export function bodySha256(body: Uint8Array | string = ""): Hex {
  return bytesToHex(sha256(typeof body === "string" ? stringToBytes(body) : body));
}

/**
 * An incremental SHA-256 for a body that arrives in chunks.
 *
 * @example
 * const hasher = bodyHasher(); for await (const chunk of stream) hasher.update(chunk); hasher.digest();
 */
export function bodyHasher() {
  const hash = sha256.create();
  return {
    update(chunk: Uint8Array) {
      hash.update(chunk);
    },
    digest: (): Hex => bytesToHex(hash.digest()),
  };
}

export interface SignRequestParameters extends RelayDomain {
  signer: TypedDataSigner;
  method: string;
  /** Path with the query string, exactly as sent, e.g. `/v1/inference_tasks/7?x=1`. */
  path: string;
  body?: Uint8Array | string;
  /** `bodySha256(body)`, when the caller has it already (a large upload is hashed once). */
  bodyHash?: Hex;
  /** Unix seconds; defaults to now (pass the relay's `/v1/now` when the local clock is off). */
  timestamp?: number;
}

/**
 * Signs a relay request and returns the headers to send with it.
 *
 * @example
 * const headers = await signRequest({ signer: account, chainId: 31337, taskManager, method: "GET", path: "/v1/inference_tasks/1" });
 * await fetch(`${relay}/v1/inference_tasks/1`, { headers });
 */
export async function signRequest(parameters: SignRequestParameters): Promise<Record<string, string>> {
  const timestamp = parameters.timestamp ?? Math.floor(Date.now() / 1000);
  const hasBody = parameters.body !== undefined && parameters.body.length > 0;
  const bodyHash = hasBody ? (parameters.bodyHash ?? bodySha256(parameters.body)) : EMPTY_BODY_SHA256;
  const signature = await parameters.signer.signTypedData({
    domain: relayDomain(parameters),
    types: requestTypes,
    primaryType: "Request",
    message: { method: parameters.method.toUpperCase(), path: parameters.path, bodyHash, timestamp: BigInt(timestamp) },
  });
  const headers: Record<string, string> = { [HEADER_TIMESTAMP]: String(timestamp), [HEADER_SIGNATURE]: signature };
  if (hasBody) headers[HEADER_CONTENT_SHA256] = bodyHash.slice(2);
  return headers;
}

/** Remembers accepted signatures so none is accepted twice (the relay backs it with its database). */
export interface ReplayDetector {
  /**
   * Records `signature` as used until `expiresAt` (unix seconds) and returns true, or returns
   * false when it was already recorded. Must be atomic across relay instances.
   */
  claim(signature: Hex, expiresAt: number): Promise<boolean>;
}

/**
 * A ReplayDetector in memory, for one process (tests, single clients).
 *
 * @example
 * await verifyRequest({ …, replay: new MemoryReplayDetector() });
 */
export class MemoryReplayDetector implements ReplayDetector {
  private readonly seen = new Map<string, number>();

  async claim(signature: Hex, expiresAt: number): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    for (const [key, expiry] of this.seen) if (expiry < now) this.seen.delete(key);
    const key = signature.toLowerCase();
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiresAt);
    return true;
  }
}

export interface VerifyRequestParameters extends RelayDomain {
  method: string;
  path: string;
  /** Header names in lower case, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * Claims the signature at once. A server that authorises the signer first leaves it out and
   * calls `claimSignature` after (so a stranger's request costs no write).
   */
  replay?: ReplayDetector;
  /** The relay's clock, unix seconds; default now. */
  now?: number;
  windowSeconds?: number;
  /**
   * Recovers the signer of a 32-byte digest. Defaults to viem's (pure JS, ~2 ms); a server
   * passes a native secp256k1 one (~0.1 ms).
   */
  recover?: (digest: Hex, signature: Hex) => Address | Promise<Address>;
  /** Keccak-256 for the digest; defaults to @noble/hashes (a server may pass a native one). */
  keccak?: (data: Uint8Array) => Uint8Array;
}

// secp256k1's order / 2: a signature with a larger s is the malleable twin of a valid one (EIP-2).
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

export interface VerifiedRequest {
  signer: Address;
  /** The body hash the signer signed; the body must be checked against it as it is read. */
  bodyHash: Hex;
  timestamp: number;
  signature: Hex;
  /** Until when (unix seconds) the signature must be remembered: its window's end. */
  expiresAt: number;
}

function header(headers: VerifyRequestParameters["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a request's signature from its headers alone (before any body is read): timestamp
 * window, signature recovery, then (given `replay`) the replay claim. Throws RequestAuthError. The caller
 * compares `signer` with the addresses the chain allows, and the body with `bodyHash`
 * (`assertBodyHash`).
 *
 * @example
 * const { signer, bodyHash } = await verifyRequest({ chainId, taskManager, method, path, headers, replay });
 */
export async function verifyRequest(parameters: VerifyRequestParameters): Promise<VerifiedRequest> {
  const rawTimestamp = header(parameters.headers, HEADER_TIMESTAMP);
  const signature = header(parameters.headers, HEADER_SIGNATURE);
  if (!rawTimestamp || !signature) throw new RequestAuthError("RELAY_AUTH_MISSING");
  if (!/^\d{1,15}$/.test(rawTimestamp))
    throw new RequestAuthError("RELAY_AUTH_MALFORMED", `${HEADER_TIMESTAMP} is not unix seconds`);
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new RequestAuthError("RELAY_AUTH_MALFORMED", `${HEADER_SIGNATURE} is not 0x + 65 bytes`);
  }
  const contentHash = header(parameters.headers, HEADER_CONTENT_SHA256);
  if (contentHash !== undefined && !/^(0x)?[0-9a-fA-F]{64}$/.test(contentHash)) {
    throw new RequestAuthError("RELAY_AUTH_MALFORMED", `${HEADER_CONTENT_SHA256} is not 32 bytes of hex`);
  }
  const timestamp = Number(rawTimestamp);
  const now = parameters.now ?? Math.floor(Date.now() / 1000);
  const window = parameters.windowSeconds ?? SIGNATURE_WINDOW_SECONDS;
  if (Math.abs(now - timestamp) > window) {
    throw new RequestAuthError("RELAY_AUTH_CLOCK_SKEW", `timestamp ${timestamp}, relay time ${now}`);
  }
  if (BigInt(`0x${signature.slice(66, 130)}`) > HALF_ORDER) {
    // Otherwise (r, n − s) would be a second signature of the same request, escaping replay detection.
    throw new RequestAuthError("RELAY_AUTH_MALFORMED", "signature s is not in the lower half (EIP-2)");
  }
  const bodyHash = contentHash ? (`0x${contentHash.replace(/^0x/, "").toLowerCase()}` as Hex) : EMPTY_BODY_SHA256;
  const digest = requestDigest(
    parameters,
    {
      method: parameters.method.toUpperCase(),
      path: parameters.path,
      bodyHash,
      timestamp: BigInt(timestamp),
    },
    parameters.keccak,
  );
  const recover =
    parameters.recover ?? ((hash: Hex, sig: Hex) => recoverAddress({ hash, signature: sig }) as Promise<Address>);
  let signer: Address;
  try {
    signer = await recover(digest, signature as Hex);
  } catch (error) {
    throw new RequestAuthError("RELAY_AUTH_BAD_SIGNATURE", (error as Error).message.split("\n")[0]);
  }
  const verified = { signer, bodyHash, timestamp, signature: signature as Hex, expiresAt: timestamp + window };
  if (parameters.replay) await claimSignature(parameters.replay, verified);
  return verified;
}

/**
 * Records a verified request's signature as used; throws RELAY_AUTH_REPLAYED if it already was.
 *
 * @example
 * await claimSignature(replay, await verifyRequest({ …, replay: undefined }));
 */
export async function claimSignature(replay: ReplayDetector, verified: VerifiedRequest): Promise<void> {
  if (!(await replay.claim(verified.signature, verified.expiresAt))) {
    throw new RequestAuthError("RELAY_AUTH_REPLAYED");
  }
}

/**
 * Throws RELAY_AUTH_BODY_MISMATCH unless the body read hashes to what was signed.
 *
 * @example
 * assertBodyHash(verified.bodyHash, hasher.digest());
 */
export function assertBodyHash(signed: Hex, actual: Hex): void {
  if (signed.toLowerCase() !== actual.toLowerCase()) {
    throw new RequestAuthError("RELAY_AUTH_BODY_MISMATCH", `signed ${signed}, received ${actual}`);
  }
}

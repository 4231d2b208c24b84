import createKeccakHash from "keccak";
import secp256k1 from "secp256k1";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";

/**
 * Recovers the address that signed a 32-byte digest with libsecp256k1 (native, ~0.08 ms)
 * rather than viem's pure-JS curve (~2 ms): the relay recovers one signer per request.
 *
 * @example
 * recoverSigner(requestDigest(domain, message), signature)
 */
export function recoverSigner(digest: Hex, signature: Hex): Address {
  const bytes = hexToBytes(signature);
  const v = bytes[64] ?? 0;
  const recovery = v >= 27 ? v - 27 : v;
  if (bytes.length !== 65 || (recovery !== 0 && recovery !== 1)) throw new Error("bad signature recovery byte");
  const publicKey = secp256k1.ecdsaRecover(bytes.subarray(0, 64), recovery, hexToBytes(digest), false);
  return bytesToHex(nativeKeccak256(publicKey.subarray(1)).subarray(12)) as Address;
}

/** Keccak-256 in native code (~4× the speed of the JS one); the relay hashes four per request. */
export function nativeKeccak256(data: Uint8Array): Uint8Array {
  return createKeccakHash("keccak256")
    .update(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    .digest();
}

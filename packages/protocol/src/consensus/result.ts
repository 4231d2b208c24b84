import { type Hex, hexToBytes, toHex } from "viem";

/** Bytes of one image's perceptual hash in a task result (spec §4). */
export const IMAGE_HASH_BYTES = 8;

/** Bits two image hashes may differ in, exclusive, for them to match: the contracts' default. */
export const DEFAULT_DISTANCE_THRESHOLD = 5;

/** A task result that is not a positive multiple of 8 bytes. */
export class InvalidResultError extends Error {
  override readonly name = "InvalidResultError";
  constructor(readonly length: number) {
    super(`a result is one 8-byte hash per image; got ${length} bytes`);
  }
}

/**
 * The on-chain result: the images' 8-byte hashes concatenated in image order.
 *
 * @example
 * buildResult(["0x0123456789abcdef", "0xfedcba9876543210"]) // "0x0123456789abcdeffedcba9876543210"
 */
export function buildResult(imageHashes: readonly (Hex | Uint8Array)[]): Hex {
  if (imageHashes.length === 0) throw new InvalidResultError(0);
  const out = new Uint8Array(imageHashes.length * IMAGE_HASH_BYTES);
  imageHashes.forEach((hash, index) => {
    const bytes = typeof hash === "string" ? hexToBytes(hash) : hash;
    if (bytes.length !== IMAGE_HASH_BYTES) throw new InvalidResultError(bytes.length);
    out.set(bytes, index * IMAGE_HASH_BYTES);
  });
  return toHex(out);
}

/**
 * The image hashes of a result, in image order.
 *
 * @example
 * splitResult("0x0123456789abcdeffedcba9876543210") // ["0x0123456789abcdef", "0xfedcba9876543210"]
 */
export function splitResult(result: Hex | Uint8Array): Hex[] {
  const bytes = typeof result === "string" ? hexToBytes(result) : result;
  if (bytes.length === 0 || bytes.length % IMAGE_HASH_BYTES !== 0) throw new InvalidResultError(bytes.length);
  const hashes: Hex[] = [];
  for (let offset = 0; offset < bytes.length; offset += IMAGE_HASH_BYTES) {
    hashes.push(toHex(bytes.subarray(offset, offset + IMAGE_HASH_BYTES)));
  }
  return hashes;
}

/**
 * The number of differing bits between two 8-byte image hashes.
 *
 * @example
 * hammingDistance("0x0000000000000000", "0x0000000000000003") // 2
 */
export function hammingDistance(a: Hex | Uint8Array, b: Hex | Uint8Array): number {
  const x = typeof a === "string" ? hexToBytes(a) : a;
  const y = typeof b === "string" ? hexToBytes(b) : b;
  if (x.length !== IMAGE_HASH_BYTES) throw new InvalidResultError(x.length);
  if (y.length !== IMAGE_HASH_BYTES) throw new InvalidResultError(y.length);
  let distance = 0;
  for (let i = 0; i < IMAGE_HASH_BYTES; i++) {
    let v = (x[i] as number) ^ (y[i] as number);
    v = v - ((v >> 1) & 0x55);
    v = (v & 0x33) + ((v >> 2) & 0x33);
    distance += (v + (v >> 4)) & 0x0f;
  }
  return distance;
}

/**
 * The contracts' match rule (spec §4): same length, a positive multiple of 8 bytes, and every
 * 8-byte chunk differing in fewer than `threshold` bits. Malformed results never match.
 *
 * @example
 * resultsMatch("0x0000000000000000", "0x000000000000000f", 5) // true (4 bits)
 */
export function resultsMatch(
  a: Hex | Uint8Array,
  b: Hex | Uint8Array,
  threshold = DEFAULT_DISTANCE_THRESHOLD,
): boolean {
  const x = typeof a === "string" ? hexToBytes(a) : a;
  const y = typeof b === "string" ? hexToBytes(b) : b;
  if (x.length === 0 || x.length % IMAGE_HASH_BYTES !== 0 || x.length !== y.length) return false;
  for (let offset = 0; offset < x.length; offset += IMAGE_HASH_BYTES) {
    const end = offset + IMAGE_HASH_BYTES;
    if (hammingDistance(x.subarray(offset, end), y.subarray(offset, end)) >= threshold) return false;
  }
  return true;
}

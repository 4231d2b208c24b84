import { type Hex, hexToBytes, keccak256 } from "viem";

const bitsCache = new Map<Hex, [number, number, number]>();

/** The three bloom bits of `value` (an address or a 32-byte topic): low 11 bits of byte pairs of keccak256(value). */
function bloomBits(value: Hex): [number, number, number] {
  const key = value.toLowerCase() as Hex;
  let bits = bitsCache.get(key);
  if (!bits) {
    const hash = hexToBytes(keccak256(key));
    const pair = (i: number) => (((hash[i] as number) << 8) | (hash[i + 1] as number)) & 2047;
    bits = [pair(0), pair(2), pair(4)];
    if (bitsCache.size > 10_000) bitsCache.clear();
    bitsCache.set(key, bits);
  }
  return bits;
}

/**
 * Whether a block's 256-byte log bloom may hold `value` (an address or a 32-byte topic), by
 * the yellow paper's rule. False means no log of the block has it; true may be a false positive.
 */
export function bloomMayContain(bloom: Uint8Array, value: Hex): boolean {
  // Bit 0 is the lowest bit of the bloom's last byte.
  return bloomBits(value).every((bit) => ((bloom[255 - (bit >> 3)] as number) & (1 << (bit & 7))) !== 0);
}

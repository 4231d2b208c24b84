import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type Chain, setupChain } from "@hydrogen/testnet";
import { type Address, encodeAbiParameters, type Hex, keccak256, toHex } from "viem";

/** Reference: the spec §4 match rule, bit by bit. */
function referenceMatch(a: Uint8Array, b: Uint8Array, threshold: number): boolean {
  if (a.length === 0 || a.length % 8 !== 0 || a.length !== b.length) return false;
  for (let chunk = 0; chunk < a.length; chunk += 8) {
    let distance = 0;
    for (let i = chunk; i < chunk + 8; i++) {
      let x = (a[i] as number) ^ (b[i] as number);
      while (x) {
        distance += x & 1;
        x >>= 1;
      }
    }
    if (distance >= threshold) return false;
  }
  return true;
}

/** Flips `count` distinct random bits of chunk `chunk`. */
function flip(bytes: Uint8Array, chunk: number, count: number): void {
  const bits = [...Array(64).keys()].sort(() => Math.random() - 0.5).slice(0, count);
  for (const bit of bits) {
    const index = chunk * 8 + (bit >> 3);
    bytes[index] = (bytes[index] as number) ^ (1 << (bit & 7));
  }
}

describe("result comparison and commitments (contract vs reference)", () => {
  let c: Chain;
  before(async () => {
    c = await setupChain({ accounts: 5 });
  });
  after(() => c.stop());

  it("resultsMatch agrees with a bit-by-bit reference on random results near the threshold", async () => {
    let matches = 0;
    for (let trial = 0; trial < 60; trial++) {
      const images = 1 + (trial % 10);
      const threshold = 1 + (trial % 12);
      const a = new Uint8Array(randomBytes(images * 8));
      const b = a.slice();
      for (let chunk = 0; chunk < images; chunk++) flip(b, chunk, Math.floor(Math.random() * (threshold + 2)));
      const expected = referenceMatch(a, b, threshold);
      if (expected) matches++;
      const actual = await c.tm.read("resultsMatch", toHex(a), toHex(b), BigInt(threshold));
      assert.equal(actual, expected, `images=${images} threshold=${threshold} a=${toHex(a)} b=${toHex(b)}`);
    }
    assert.ok(matches > 5 && matches < 55, "the trials cover both outcomes");
  });

  it("resultsMatch: every bit of a 64-bit chunk counts (all 64 positions, every lane of a word)", async () => {
    const a = new Uint8Array(40); // 5 chunks: crosses a 32-byte word
    for (let bit = 0; bit < 320; bit += 7) {
      const b = a.slice();
      b[bit >> 3] = (b[bit >> 3] as number) ^ (1 << (bit & 7));
      assert.equal(await c.tm.read("resultsMatch", toHex(a), toHex(b), 1n), false, `bit ${bit}`);
      assert.equal(await c.tm.read("resultsMatch", toHex(a), toHex(b), 2n), true, `bit ${bit}`);
    }
  });

  it("resultsMatch rejects empty and non-multiple-of-8 results", async () => {
    assert.equal(await c.tm.read("resultsMatch", "0x", "0x", 5n), false);
    assert.equal(await c.tm.read("resultsMatch", "0x01020304", "0x01020304", 5n), false);
  });

  it("makeCommitment is keccak256(abi.encode(taskId, node, keccak256(result), salt))", async () => {
    for (let trial = 0; trial < 10; trial++) {
      const taskId = BigInt(trial * 1000 + 1);
      const node = toHex(randomBytes(20)) as Address;
      const resultBytes = toHex(randomBytes(8 * (1 + trial)));
      const salt = toHex(randomBytes(32)) as Hex;
      const expected = keccak256(
        encodeAbiParameters(
          [{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
          [taskId, node, keccak256(resultBytes), salt],
        ),
      );
      assert.equal(await c.tm.read("makeCommitment", taskId, node, resultBytes, salt), expected);
    }
  });
});

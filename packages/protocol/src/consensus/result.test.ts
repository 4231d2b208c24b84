import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak256 } from "viem";
import { generateSalt, makeCommitment } from "./commitment.ts";
import { buildResult, hammingDistance, InvalidResultError, resultsMatch, splitResult } from "./result.ts";

describe("result helpers", () => {
  it("buildResult concatenates image hashes in order and splitResult undoes it", () => {
    const hashes = ["0x0123456789abcdef", "0xfedcba9876543210", "0x0000000000000001"] as const;
    const result = buildResult([...hashes]);
    assert.equal(result, "0x0123456789abcdeffedcba98765432100000000000000001");
    assert.deepEqual(splitResult(result), hashes);
    assert.equal(buildResult([new Uint8Array(8).fill(255)]), "0xffffffffffffffff");
  });

  it("rejects hashes that are not 8 bytes and results that are not a positive multiple of 8", () => {
    assert.throws(() => buildResult([]), InvalidResultError);
    assert.throws(() => buildResult(["0x0102"]), /got 2 bytes/);
    assert.throws(() => splitResult("0x"), InvalidResultError);
    assert.throws(() => splitResult("0x0102030405060708ff"), /got 9 bytes/);
  });

  it("hammingDistance counts differing bits", () => {
    assert.equal(hammingDistance("0x0000000000000000", "0x0000000000000000"), 0);
    assert.equal(hammingDistance("0x0000000000000000", "0xffffffffffffffff"), 64);
    assert.equal(hammingDistance("0x8000000000000001", "0x0000000000000000"), 2);
    assert.throws(() => hammingDistance("0x00", "0x0000000000000000"), InvalidResultError);
  });

  it("resultsMatch: every chunk below the threshold, same length, well formed", () => {
    const zero = "0x00000000000000000000000000000000";
    assert.equal(resultsMatch(zero, "0x000000000000000f000000000000000f", 5), true);
    assert.equal(resultsMatch(zero, "0x000000000000001f0000000000000000", 5), false, "5 bits in one chunk");
    assert.equal(resultsMatch(zero, "0x0000000000000000", 5), false, "different lengths");
    assert.equal(resultsMatch("0x", "0x", 5), false);
    assert.equal(resultsMatch("0x0102", "0x0102", 5), false);
  });
});

describe("commitments", () => {
  it("makeCommitment binds task, node, result and salt", () => {
    const node = "0x00000000000000000000000000000000000000aa";
    const salt = `0x${"11".repeat(32)}` as const;
    const base = makeCommitment(1n, node, "0x0102030405060708", salt);
    // Vector: keccak256(abi.encode(1, 0x…aa, keccak256(0x0102030405060708), 0x11…11)), also checked
    // against the deployed contract in contracts/test/protocol-agreement.test.ts.
    assert.equal(base, "0x2da5ca315018f330c8d3346356020a1cd07ca41d6e964bfffecd92e8b3ea12da");
    assert.notEqual(makeCommitment(2n, node, "0x0102030405060708", salt), base);
    assert.notEqual(makeCommitment(1n, "0x00000000000000000000000000000000000000ab", "0x0102030405060708", salt), base);
    assert.notEqual(makeCommitment(1n, node, "0x0102030405060709", salt), base);
    assert.notEqual(makeCommitment(1n, node, "0x0102030405060708", keccak256(salt)), base);
  });

  it("generateSalt gives 32 fresh random bytes", () => {
    const a = generateSalt();
    assert.match(a, /^0x[0-9a-f]{64}$/);
    assert.notEqual(generateSalt(), a);
  });
});

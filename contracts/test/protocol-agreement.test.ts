/** The protocol package's result and commitment helpers against the deployed TaskManager. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildResult, generateSalt, makeCommitment, resultsMatch } from "@hydrogen/protocol";
import { type Chain, setupChain } from "@hydrogen/testnet";
import { type Address, type Hex, toHex } from "viem";

describe("@hydrogen/protocol agrees with the contract", () => {
  let c: Chain;
  before(async () => {
    c = await setupChain({ accounts: 5 });
  });
  after(() => c.stop());

  it("makeCommitment gives the contract's value (including the unit test's vector)", async () => {
    const vector = {
      taskId: 1n,
      node: "0x00000000000000000000000000000000000000aa" as Address,
      result: "0x0102030405060708" as Hex,
      salt: `0x${"11".repeat(32)}` as Hex,
    };
    const onChain = await c.tm.read("makeCommitment", vector.taskId, vector.node, vector.result, vector.salt);
    assert.equal(onChain, "0x2da5ca315018f330c8d3346356020a1cd07ca41d6e964bfffecd92e8b3ea12da");
    for (let trial = 0; trial < 8; trial++) {
      const taskId = BigInt(1 + trial * 7919);
      const node = toHex(randomBytes(20)) as Address;
      const result = toHex(randomBytes(8 * (1 + trial)));
      const salt = generateSalt();
      assert.equal(
        await c.tm.read("makeCommitment", taskId, node, result, salt),
        makeCommitment(taskId, node, result, salt),
      );
    }
  });

  it("resultsMatch gives the contract's answer on the same inputs", async () => {
    let matched = 0;
    for (let trial = 0; trial < 40; trial++) {
      const images = 1 + (trial % 10);
      const threshold = 1 + (trial % 9);
      const hashes = Array.from({ length: images }, () => new Uint8Array(randomBytes(8)));
      const a = buildResult(hashes);
      const noisy = hashes.map((hash) => {
        const copy = hash.slice();
        for (let flips = Math.floor(Math.random() * (threshold + 1)); flips > 0; flips--) {
          const bit = Math.floor(Math.random() * 64);
          copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
        }
        return copy;
      });
      const b = buildResult(noisy);
      const expected = resultsMatch(a, b, threshold);
      if (expected) matched++;
      assert.equal(await c.tm.read("resultsMatch", a, b, BigInt(threshold)), expected, `${a} vs ${b} at ${threshold}`);
    }
    assert.ok(matched > 0 && matched < 40, "both outcomes covered");
  });
});

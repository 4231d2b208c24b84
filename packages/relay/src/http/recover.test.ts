import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak_256 } from "@noble/hashes/sha3";
import { type Hex, keccak256, recoverAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { nativeKeccak256, recoverSigner } from "./recover.ts";

describe("native signature recovery", () => {
  it("recovers the same address as viem, for both recovery ids", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const account = privateKeyToAccount(generatePrivateKey());
      const hash = keccak256(`0x${i.toString(16).padStart(2, "0")}`);
      const signature = await account.sign({ hash });
      ids.add(signature.slice(-2));
      assert.equal(recoverSigner(hash, signature).toLowerCase(), account.address.toLowerCase());
      assert.equal((await recoverAddress({ hash, signature })).toLowerCase(), account.address.toLowerCase());
    }
    assert.ok(ids.size === 2, "both v = 27 and v = 28 were exercised");
  });

  it("refuses a recovery byte other than 0, 1, 27 or 28", () => {
    const signature = `0x${"11".repeat(64)}1d` as Hex;
    assert.throws(() => recoverSigner(keccak256("0x"), signature), /recovery byte/);
  });

  it("native keccak-256 equals the JS one, on views into larger buffers too", () => {
    const backing = new Uint8Array(300).map((_, i) => i * 7);
    for (const data of [new Uint8Array(), backing, backing.subarray(5, 141)]) {
      assert.deepEqual(new Uint8Array(nativeKeccak256(data)), keccak_256(data));
    }
  });
});

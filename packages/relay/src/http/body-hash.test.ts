import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { it } from "node:test";
import { bodyHasher, bodySha256 } from "@hydrogen/protocol";
import { bodyHasherNative, bodySha256Native } from "./body-hash.ts";

it("hashes bodies exactly as the protocol's portable SHA-256, whole and in chunks", () => {
  for (const size of [0, 1, 63, 64, 65, 100_000]) {
    const body = randomBytes(size);
    assert.equal(bodySha256Native(body), bodySha256(body));
    const portable = bodyHasher();
    const native = bodyHasherNative();
    for (let at = 0; at < size; at += 7919) {
      portable.update(body.subarray(at, at + 7919));
      native.update(body.subarray(at, at + 7919));
    }
    assert.equal(native.digest(), portable.digest());
  }
});

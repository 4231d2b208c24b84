import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expectRevert, signPermit } from "@hydrogen/testnet";
import { parseEther } from "viem";
import { suiteChain } from "./helpers/scenario.ts";

describe("CNX", () => {
  const c = suiteChain({ accounts: 6 });

  it("is an 18-decimal ERC-20 whose whole supply starts with the deployer", async () => {
    assert.equal(await c.cnx.read("decimals"), 18);
    assert.equal(await c.cnx.read("symbol"), "CNX");
    const supply = (await c.cnx.read("totalSupply")) as bigint;
    assert.equal(supply, parseEther("1000000000"));
    assert.equal(await c.balance(c.deployer), supply);
  });

  it("permit sets an allowance from a signature, once", async () => {
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const { v, r, s } = await signPermit(c, 2, c.creator2, 123n, deadline);
    await c.cnx.send(c.creator2, "permit", c.creator, c.creator2, 123n, deadline, v, r, s);
    assert.equal(await c.cnx.read("allowance", c.creator, c.creator2), 123n);
    await expectRevert(
      c.cnx.send(c.creator2, "permit", c.creator, c.creator2, 123n, deadline, v, r, s),
      "ERC2612InvalidSigner",
    );
  });

  it("permit rejects an expired deadline", async () => {
    const deadline = 1n;
    const { v, r, s } = await signPermit(c, 2, c.creator2, 1n, deadline);
    await expectRevert(
      c.cnx.send(c.creator2, "permit", c.creator, c.creator2, 1n, deadline, v, r, s),
      "ERC2612ExpiredSignature",
      [deadline],
    );
  });
});

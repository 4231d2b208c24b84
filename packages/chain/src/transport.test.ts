import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Anvil, freePort, startAnvil } from "@hydrogen/testnet";
import { createPublicClient } from "viem";
import { rpcTransport } from "./transport.ts";

describe("rpcTransport with several HTTP endpoints", () => {
  let first: Anvil;
  let second: Anvil;
  before(async () => {
    first = await startAnvil({ args: ["--silent", "--chain-id", "7001"] });
    second = await startAnvil({ args: ["--silent", "--chain-id", "7002"] });
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
  });

  it("asks the first endpoint while it answers, and the next one when it does not", async () => {
    const rpc = rpcTransport([first.rpcUrl, second.rpcUrl], undefined, { retryCount: 0, timeoutMs: 2000 });
    const client = createPublicClient({ transport: rpc.transport });
    assert.equal(await client.getChainId(), 7001);
    await first.stop();
    assert.equal(await client.getChainId(), 7002, "failed over to the second endpoint");
    await rpc.close();
  });

  it("skips an endpoint that refuses connections", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const rpc = rpcTransport([dead, second.rpcUrl], undefined, { retryCount: 0, timeoutMs: 2000 });
    assert.equal(await createPublicClient({ transport: rpc.transport }).getChainId(), 7002);
  });
});

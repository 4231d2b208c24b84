import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type Anvil, freePort, type LocalNode, startAnvil, startHardhat } from "@hydrogen/testnet";
import { createPublicClient, parseAbi } from "viem";
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

/**
 * An HTTP proxy in front of a JSON-RPC node that counts the requests it forwards by method,
 * and answers the first `failures` requests with 503 instead.
 */
async function countingProxy(target: string, failures = 0) {
  const counts = new Map<string, number>();
  let failed = 0;
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const method = (JSON.parse(body) as { method: string }).method;
    counts.set(method, (counts.get(method) ?? 0) + 1);
    if (failed < failures) {
      failed++;
      response.writeHead(503).end("busy");
      return;
    }
    const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    response.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (method: string) => counts.get(method) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("rpcTransport retries", () => {
  let hardhat: LocalNode;
  before(async () => {
    hardhat = await startHardhat();
  });
  after(() => hardhat?.stop());

  it("asks once for a call that reverts (Hardhat answers it as JSON-RPC -32603)", async () => {
    const proxy = await countingProxy(hardhat.rpcUrl);
    try {
      const client = createPublicClient({ transport: rpcTransport(proxy.url).transport });
      // A call to an address without code that expects a return value reverts in the ABI
      // decoder; a call into a contract that reverts: deploy one whose code is REVERT.
      const hash = await client.request({
        method: "eth_sendTransaction",
        params: [{ from: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", data: "0x6005600c60003960056000f360006000fd" }],
      } as never);
      const receipt = await client.waitForTransactionReceipt({ hash: hash as `0x${string}`, pollingInterval: 50 });
      const reverter = receipt.contractAddress as `0x${string}`;
      await assert.rejects(
        client.readContract({
          address: reverter,
          abi: parseAbi(["function f() view returns (uint256)"]),
          functionName: "f",
        }),
      );
      assert.equal(proxy.count("eth_call"), 1, "a revert is not asked again");
    } finally {
      await proxy.close();
    }
  });

  it("asks again after a 503, and gets the answer", async () => {
    const proxy = await countingProxy(hardhat.rpcUrl, 2);
    try {
      const client = createPublicClient({ transport: rpcTransport(proxy.url).transport });
      assert.equal(await client.getChainId(), 1337);
      assert.equal(proxy.count("eth_chainId"), 3);
    } finally {
      await proxy.close();
    }
  });
});

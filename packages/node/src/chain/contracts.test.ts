import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makeCommitment, RoundStateValue } from "@hydrogen/protocol";
import { type Chain, countingTransport, setupChain } from "@hydrogen/testnet";
import { type Address, createPublicClient, createWalletClient, http, type PublicClient } from "viem";
import { foundry } from "viem/chains";
import { NodeChain } from "./contracts.ts";

describe("NodeChain.view", () => {
  let chain: Chain;
  let blockReads = 0;
  let head: { number: bigint; timestamp: bigint; receivedAt: number } | undefined;
  let nodeChain: NodeChain;
  let task: Awaited<ReturnType<Chain["createTask"]>>;

  before(async () => {
    chain = await setupChain({ accounts: 8 });
    await chain.joinNodes(3);
    task = await chain.createTask();
    const counting = countingTransport(chain.anvil.rpcUrl, (method) => {
      if (method === "eth_getBlockByNumber") blockReads++;
    });
    const client = createPublicClient({ chain: foundry, transport: counting, pollingInterval: 50 }) as PublicClient;
    const me = task.nodes[0] as Address;
    const wallet = createWalletClient({ chain: foundry, transport: http(chain.anvil.rpcUrl), account: me });
    nodeChain = new NodeChain(
      { taskManager: chain.tm.address, registry: chain.registry.address, token: chain.cnx.address },
      { bumpAfterMs: 30_000, headMaxAgeMs: 5_000 },
      { client, wallet, head: () => head },
    );
  });
  after(() => chain.stop());

  const latest = async () => {
    const block = await chain.publicClient.getBlock({ blockTag: "latest" });
    return { number: block.number, timestamp: block.timestamp, receivedAt: Date.now() };
  };

  it("reads at the subscription's recent head without asking for the latest block", async () => {
    head = await latest();
    const before = blockReads;
    const view = await nodeChain.view(task.taskId, 0);
    assert.equal(blockReads, before, "no eth_getBlockByNumber");
    assert.equal(view.block, head.number);
    assert.equal(view.time, head.timestamp);
    assert.equal(view.round, RoundStateValue.Pending);
  });

  it("asks for the latest block when the head is older than its own last transaction, or stale", async () => {
    const result = "0x0102030405060708";
    const salt = `0x${"42".repeat(32)}` as const;
    await nodeChain.commit(task.taskId, 0, makeCommitment(task.taskId, nodeChain.address, result, salt));
    // The subscription has not announced the commitment's block yet: the view must still show it.
    let before = blockReads;
    const view = await nodeChain.view(task.taskId, 0);
    assert.equal(blockReads, before + 1);
    assert.equal(view.round, RoundStateValue.Committed);

    head = { ...(await latest()), receivedAt: Date.now() - 60_000 };
    before = blockReads;
    await nodeChain.view(task.taskId, 0);
    assert.equal(blockReads, before + 1, "a head a minute old is not trusted");

    head = await latest();
    before = blockReads;
    assert.equal((await nodeChain.view(task.taskId, 0)).round, RoundStateValue.Committed);
    assert.equal(blockReads, before, "a fresh head that shows the commitment is used");
  });
});

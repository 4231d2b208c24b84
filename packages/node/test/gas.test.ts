import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Network, startNetwork, waitFor } from "@hydrogen/devnet";
import { Status } from "@hydrogen/testnet";
import { parseEther } from "viem";

describe("a node low on gas", () => {
  let net: Network;
  before(async () => {
    net = await startNetwork({ nodes: 3, nodeConfig: () => ({ staking: { gasCheckMs: 200 } }) });
  });
  after(() => net?.stop());

  it("pauses itself and says why, then resumes once funded again", async () => {
    const node = net.node(0);
    const setBalance = (value: bigint) => net.chain.testClient.setBalance({ address: node.address, value });
    // Enough for the pause transaction, not for a task's three.
    await setBalance(parseEther("0.0002"));
    await waitFor("the node to pause itself", async () => (await net.chain.status(node.address)) === Status.Paused);
    const report = await node.status();
    assert.match(report.lastError ?? "", /ETH balance .* is below .* send ETH to/);
    assert.match(await (await fetch(`${node.apiUrl}/metrics`)).text(), /^hydrogen_node_low_gas 1$/m);
    assert.equal(await net.chain.registry.read("availableNodeCount"), 2n, "no new task picks it");

    await setBalance(parseEther("1"));
    await waitFor("the node to resume", async () => (await net.chain.status(node.address)) === Status.Available);
    assert.equal((await node.status()).lastError, undefined);
    assert.match(await (await fetch(`${node.apiUrl}/metrics`)).text(), /^hydrogen_node_low_gas 0$/m);
  });
});

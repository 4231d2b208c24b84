import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Network, startNetwork, waitFor } from "@hydrogen/devnet";
import { taskHash, taskManagerAbi } from "@hydrogen/protocol";
import { FEE, Status } from "@hydrogen/testnet";
import { createTestClient, http } from "viem";
import { foundry } from "viem/chains";
import { taskArgs } from "./helpers/args.ts";
import { startFakeRelay } from "./helpers/fake-relay.ts";
import { startProxy } from "./helpers/proxy.ts";

async function errorReports(net: Network, taskId: bigint): Promise<number> {
  const events = await net.chain.publicClient.getContractEvents({
    address: net.chain.tm.address,
    abi: taskManagerAbi,
    eventName: "TaskErrorReported",
    args: { taskId },
    fromBlock: 0n,
  });
  return events.length;
}

/** Waits until every node's store has the task in one of `phases`. */
async function allIn(net: Network, taskId: bigint, phases: string[]) {
  await waitFor(`all nodes in ${phases.join("/")} for task ${taskId}`, async () => {
    const tasks = await Promise.all(net.nodes.map((node) => node.task(taskId)));
    return tasks.every((task) => task && phases.includes(task.phase));
  });
}

describe("a dishonest node and a task nobody can run", () => {
  let net: Network;
  before(async () => {
    net = await startNetwork({
      nodeConfig: (i) => (i === 2 ? { engine: { kind: "synthetic", dishonest: true } } : {}),
    });
  });
  after(() => net?.stop());

  it("cancels a task whose arguments never arrive once the deadline passes; the creator is refunded", async () => {
    const before = await net.chain.balance(net.chain.creator);
    const { taskId } = await net.createTask(taskArgs({ seed: 40 }), false);
    await allIn(net, taskId, ["assigned"]);
    await net.chain.passDeadline();
    for (const node of net.nodes) {
      const task = await net.settled(node, taskId);
      assert.equal(task.outcome, "cancelled");
      assert.equal(await net.chain.status(node.address), Status.Available);
    }
    // createTask funded the creator with the fee first; all of it came back.
    assert.equal(await net.chain.balance(net.chain.creator), before + 3n * FEE);
  });

  it("slashes the node that draws different images; the honest ones are paid", async () => {
    const { taskId } = await net.createTask(taskArgs({ seed: 41 }));
    const liar = net.node(2);
    for (const node of net.nodes) {
      const task = await net.settled(node, taskId);
      assert.equal(task.outcome, node === liar ? "slashed" : "paid", `node ${node.index}`);
    }
    assert.equal(await net.chain.status(liar.address), Status.Quit);
    assert.equal(await net.chain.registry.read("stakeOf", liar.address), 0n);
    const report = await liar.status();
    assert.equal(report.earnings.slashes, 1);
    // The dashboard lists the slash with its reason.
    const lost = report.lostTasks.find((t) => t.taskId === taskId.toString());
    assert.match(lost?.lossReason ?? "", /^slashed: its result differed from the two that agreed/);
    // The dashboard also shows the node as the relay's index sees it from the chain.
    const seen = await waitFor("the relay's index to hold the slash", async () =>
      (await liar.status()).index.events.find((e) => e.kind === "slashed" && e.task_id === taskId.toString()),
    );
    assert.equal(seen.detail, "result_mismatch");
    assert.match(await (await fetch(`${liar.apiUrl}/metrics`)).text(), /hydrogen_node_slashes_total 1/);
  });
});

describe("a relay that serves bad arguments", () => {
  let net: Network;
  let fake: Awaited<ReturnType<typeof startFakeRelay>>;
  before(async () => {
    fake = await startFakeRelay();
    net = await startNetwork({ relayFor: () => fake.url });
  });
  after(async () => {
    await net?.stop();
    await fake?.close();
  });

  it("arguments that match the task hash but fail the schema are reported as the task's error, and paid", async () => {
    const broken = JSON.stringify({ base_model: "org/model", prompt: "x", task_config: { seed: 1 }, colour: "red" });
    const created = await net.chain.createTask(net.chain.creator, taskHash(broken));
    fake.serveArgs(created.taskId, broken);
    for (const node of net.nodes) {
      const task = await net.settled(node, created.taskId);
      assert.equal(task.error?.code, "TASK_ARGS_INVALID", JSON.stringify(task));
      assert.match(task.error?.reason ?? "", /colour/);
      assert.equal(task.abortReason, "ErrorReported");
      assert.equal(task.outcome, "paid");
    }
    assert.equal(await errorReports(net, created.taskId), 3);
  });

  it("arguments that do not match the task hash, or a garbled answer, are the relay's fault: no report, cancel at the deadline", async () => {
    const created = await net.chain.createTask(net.chain.creator, taskHash(taskArgs({ seed: 50 })));
    fake.serveArgs(created.taskId, taskArgs({ seed: 51 }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    fake.serveRaw(created.taskId, 502, "<html>bad gateway</html>");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await allIn(net, created.taskId, ["assigned"]);
    assert.equal(await errorReports(net, created.taskId), 0);
    await net.chain.passDeadline();
    for (const node of net.nodes) assert.equal((await net.settled(node, created.taskId)).outcome, "cancelled");
    assert.equal(await errorReports(net, created.taskId), 0);
  });
});

describe("relay and RPC outages during a task", () => {
  let net: Network;
  let relayProxy: Awaited<ReturnType<typeof startProxy>>;
  let rpcProxy: Awaited<ReturnType<typeof startProxy>>;
  before(async () => {
    net = await startNetwork({
      // The nodes' connections go through proxies (the relay's own chain connection does not).
      rpcFor: async (component, url) => {
        if (component === "relay") return url;
        rpcProxy ??= await startProxy(url);
        return rpcProxy.url;
      },
      relayFor: async (_node, url) => {
        relayProxy ??= await startProxy(url);
        return relayProxy.url;
      },
      // Slow enough to cut a connection while the engine runs.
      nodeConfig: () => ({ engine: { kind: "synthetic", delayMs: 800 } }),
    });
  });
  after(async () => {
    await net?.stop();
    await relayProxy?.close();
    await rpcProxy?.close();
  });

  it("a relay down before the arguments are fetched: the nodes wait, then finish", async () => {
    await relayProxy.cut();
    const { taskId } = await net.createTask(taskArgs({ seed: 60 }));
    await allIn(net, taskId, ["assigned"]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await allIn(net, taskId, ["assigned"]);
    await relayProxy.restore();
    for (const node of net.nodes) assert.equal((await net.settled(node, taskId)).outcome, "paid");
  });

  it("a relay down when the images must be uploaded: the result node retries and is paid", async () => {
    const { taskId } = await net.createTask(taskArgs({ seed: 61 }));
    await allIn(net, taskId, ["fetched", "executed", "committed"]);
    await relayProxy.cut();
    await waitFor("a result node", async () =>
      (await Promise.all(net.nodes.map((n) => n.task(taskId)))).some((t) => t?.resultNode),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const status = await net.creator.getTaskStatus(taskId);
    assert.equal(status.phase, "success", "nothing could be uploaded yet");
    await relayProxy.restore();
    for (const node of net.nodes) assert.equal((await net.settled(node, taskId)).outcome, "paid");
    assert.equal((await net.creator.getTaskStatus(taskId)).phase, "results_uploaded");
  });

  it("a node without gas for its commitment: not slashed, the task cancelled and refunded, the node says why", async () => {
    const poor = net.node(2);
    const anvil = createTestClient({ chain: foundry, mode: "anvil", transport: http(net.chain.anvil.rpcUrl) });
    const balance = await net.chain.publicClient.getBalance({ address: poor.address });
    await anvil.setBalance({ address: poor.address, value: 1000n });
    try {
      const before = await net.chain.balance(net.chain.creator);
      const { taskId } = await net.createTask(taskArgs({ seed: 63 }));
      const failing = await waitFor(
        "the poor node's failure",
        async () =>
          (await poor.task(taskId))?.lastFailure as { step: string; code: string; reason: string } | undefined,
      );
      assert.equal(failing.step, "commit");
      assert.equal(failing.code, "NODE_INSUFFICIENT_GAS");
      assert.match(failing.reason, /insufficient funds/i);
      await allIn(net, taskId, ["committed", "executed"]);
      await net.chain.passDeadline();
      for (const node of net.nodes) assert.equal((await net.settled(node, taskId)).outcome, "cancelled");
      assert.equal(await net.chain.status(poor.address), Status.Available, "freed, not slashed");
      const missed = (await poor.status()).lostTasks.find((t) => t.taskId === taskId.toString());
      assert.match(missed?.lossReason ?? "", /^missed: NODE_INSUFFICIENT_GAS at commit/);
      assert.ok(((await net.chain.registry.read("stakeOf", poor.address)) as bigint) > 0n);
      assert.equal(await net.chain.balance(net.chain.creator), before + 3n * FEE, "the whole fee came back");
    } finally {
      await anvil.setBalance({ address: poor.address, value: balance });
    }
  });

  it("an RPC endpoint down mid-task: the nodes retry and finish", async () => {
    const { taskId } = await net.createTask(taskArgs({ seed: 62 }));
    await allIn(net, taskId, ["fetched"]);
    await rpcProxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await rpcProxy.restore();
    for (const node of net.nodes) assert.equal((await net.settled(node, taskId)).outcome, "paid");
  });
});

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { nodeRegistryAbi, nodeRegistryBytecode } from "@hydrogen/protocol";
import { eventNames, expectRevert, STAKE, Status, signPermit } from "@hydrogen/testnet";
import { type Address, createWalletClient, http, zeroAddress } from "viem";
import { foundry } from "viem/chains";
import { suiteChain } from "./helpers/scenario.ts";

describe("NodeRegistry", () => {
  const c = suiteChain({ accounts: 12 });
  let node: Address;
  let other: Address;
  before(() => {
    [node, other] = c.nodes as [Address, Address];
  });

  describe("join", () => {
    it("stakes, becomes Available and gets a permanent id", async () => {
      const { events } = await c.join(node);
      assert.deepEqual(eventNames(events).slice(-3), ["Transfer", "NodeJoined", "NodeStatusChanged"]);
      assert.equal(await c.status(node), Status.Available);
      assert.equal(await c.registry.read("stakeOf", node), STAKE);
      assert.equal(await c.balance(node), 0n);
      assert.equal(await c.balance(c.registry.address), STAKE);
      assert.equal(await c.registry.read("availableNodeCount"), 1n);
      assert.equal(await c.registry.read("joinedNodeCount"), 1n);
      const id = (await c.registry.read("nodeId", node)) as number;
      assert.equal(id, 1);
      assert.equal(await c.registry.read("nodeAddress", 1n), node);
    });

    it("keeps the same id when a node quits and joins again", async () => {
      await c.join(other);
      await c.join(node);
      await c.registry.send(node, "quit");
      await c.join(node);
      assert.equal(await c.registry.read("nodeId", node), 2);
    });

    it("reverts AlreadyJoined when the node is not Quit", async () => {
      await c.join(node);
      await c.fund(node, STAKE);
      await c.cnx.send(node, "approve", c.registry.address, STAKE);
      await expectRevert(c.registry.send(node, "join"), "AlreadyJoined", [node, Status.Available]);
    });

    it("reverts InsufficientStakeBalance without enough CNX", async () => {
      await c.fund(node, STAKE - 1n);
      await c.cnx.send(node, "approve", c.registry.address, STAKE);
      await expectRevert(c.registry.send(node, "join"), "InsufficientStakeBalance", [node, STAKE - 1n, STAKE]);
    });

    it("reverts InsufficientStakeAllowance without enough approval", async () => {
      await c.fund(node, STAKE);
      await c.cnx.send(node, "approve", c.registry.address, STAKE - 5n);
      await expectRevert(c.registry.send(node, "join"), "InsufficientStakeAllowance", [node, STAKE - 5n, STAKE]);
    });

    it("joins with a permit instead of an approval", async () => {
      const index = 4; // anvil account of c.nodes[0]
      await c.fund(node, STAKE);
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
      const { v, r, s } = await signPermit(c, index, c.registry.address, STAKE, deadline);
      await c.registry.send(node, "joinWithPermit", deadline, v, r, s);
      assert.equal(await c.status(node), Status.Available);
    });
  });

  describe("pause, resume, quit", () => {
    it("pause: Available → Paused, out of the available set", async () => {
      await c.join(node);
      const { events } = await c.registry.send(node, "pause");
      assert.deepEqual(eventNames(events), ["NodeStatusChanged"]);
      assert.equal(await c.status(node), Status.Paused);
      assert.equal(await c.registry.read("availableNodeCount"), 0n);
      assert.equal(await c.registry.read("joinedNodeCount"), 1n);
    });

    it("resume: Paused → Available, back in the available set", async () => {
      await c.join(node);
      await c.registry.send(node, "pause");
      await c.registry.send(node, "resume");
      assert.equal(await c.status(node), Status.Available);
      assert.equal(await c.registry.read("availableNodeCount"), 1n);
    });

    it("quit: Available → Quit with the stake returned at once", async () => {
      await c.join(node);
      const { events } = await c.registry.send(node, "quit");
      assert.deepEqual(eventNames(events), ["NodeStatusChanged", "StakeReturned", "Transfer"]);
      assert.equal(await c.status(node), Status.Quit);
      assert.equal(await c.balance(node), STAKE);
      assert.equal(await c.registry.read("stakeOf", node), 0n);
      assert.equal(await c.registry.read("joinedNodeCount"), 0n);
      assert.equal(await c.registry.read("availableNodeCount"), 0n);
    });

    it("quit: Paused → Quit with the stake returned at once", async () => {
      await c.join(node);
      await c.registry.send(node, "pause");
      await c.registry.send(node, "quit");
      assert.equal(await c.status(node), Status.Quit);
      assert.equal(await c.balance(node), STAKE);
    });

    it("removing a node from the middle of the available set keeps the others drawable", async () => {
      const [a, b, d, e] = c.nodes as [Address, Address, Address, Address];
      for (const n of [a, b, d, e]) await c.join(n);
      await c.registry.send(b, "pause");
      await c.registry.send(a, "quit");
      assert.equal(await c.registry.read("availableNodeCount"), 2n);
      await c.join(a);
      const task = await c.createTask();
      assert.deepEqual(new Set(task.nodes), new Set([a, d, e]));
    });

    it("reverts CannotPause, CannotResume and CannotQuit from the wrong statuses", async () => {
      await expectRevert(c.registry.send(node, "pause"), "CannotPause", [node, Status.Quit]);
      await expectRevert(c.registry.send(node, "resume"), "CannotResume", [node, Status.Quit]);
      await expectRevert(c.registry.send(node, "quit"), "CannotQuit", [node, Status.Quit]);
      await c.join(node);
      await expectRevert(c.registry.send(node, "resume"), "CannotResume", [node, Status.Available]);
      await c.registry.send(node, "pause");
      await expectRevert(c.registry.send(node, "pause"), "CannotPause", [node, Status.Paused]);
    });

    it("while Busy: pause → PendingPause → (resume) Busy; quit → PendingQuit; both refuse a second change", async () => {
      await c.joinNodes(3);
      const { nodes } = await c.createTask();
      const [a, b] = nodes as [Address, Address];
      assert.equal(await c.status(a), Status.Busy);
      await expectRevert(c.registry.send(a, "resume"), "CannotResume", [a, Status.Busy]);
      await c.registry.send(a, "pause");
      assert.equal(await c.status(a), Status.PendingPause);
      await expectRevert(c.registry.send(a, "pause"), "CannotPause", [a, Status.PendingPause]);
      await c.registry.send(a, "resume");
      assert.equal(await c.status(a), Status.Busy);
      await c.registry.send(a, "pause");
      await c.registry.send(a, "quit");
      assert.equal(await c.status(a), Status.PendingQuit);
      await c.registry.send(b, "quit");
      assert.equal(await c.status(b), Status.PendingQuit);
      await expectRevert(c.registry.send(b, "quit"), "CannotQuit", [b, Status.PendingQuit]);
      await expectRevert(c.registry.send(b, "pause"), "CannotPause", [b, Status.PendingQuit]);
      await expectRevert(c.registry.send(b, "resume"), "CannotResume", [b, Status.PendingQuit]);
      assert.equal(await c.registry.read("stakeOf", b), STAKE, "stake kept until the task finishes");
    });
  });

  describe("TaskManager hooks", () => {
    /** A second registry whose TaskManager is a plain account, to call the hooks directly. */
    async function registryWithManager(manager: Address) {
      const wallet = createWalletClient({ chain: foundry, transport: http(c.anvil.rpcUrl), account: c.deployer });
      const hash = await wallet.deployContract({
        abi: nodeRegistryAbi,
        bytecode: nodeRegistryBytecode,
        args: [c.cnx.address, c.deployer, c.pool, STAKE, 100n],
      });
      const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
      const address = receipt.contractAddress as Address;
      const send = (from: Address, fn: string, ...args: unknown[]) =>
        wallet
          .writeContract({ address, abi: nodeRegistryAbi, functionName: fn, args, account: from } as never)
          .then((h) => c.publicClient.waitForTransactionReceipt({ hash: h }));
      await send(c.deployer, "setTaskManager", manager);
      return { address, send };
    }

    it("only the TaskManager may start, finish or slash", async () => {
      await c.join(node);
      await expectRevert(c.registry.send(other, "startTask", 1n), "NotTaskManager", [other]);
      await expectRevert(c.registry.send(other, "finishTask", node), "NotTaskManager", [other]);
      await expectRevert(c.registry.send(other, "slash", node), "NotTaskManager", [other]);
    });

    it("startTask reverts NotEnoughAvailableNodes below 3; finishTask and slash revert NodeNotBusy", async () => {
      const manager = c.creator2;
      const r = await registryWithManager(manager);
      const { publicClient } = c;
      const call = (fn: string, ...args: unknown[]) =>
        publicClient.simulateContract({
          address: r.address,
          abi: nodeRegistryAbi,
          functionName: fn,
          args,
          account: manager,
        } as never);
      await expectRevert(call("startTask", 7n), "NotEnoughAvailableNodes", [0n, 3n]);
      await expectRevert(call("finishTask", node), "NodeNotBusy", [node, Status.Quit]);
      await expectRevert(call("slash", node), "NodeNotBusy", [node, Status.Quit]);
    });

    it("setTaskManager works once, by the owner, with a real address", async () => {
      await expectRevert(c.registry.send(c.deployer, "setTaskManager", other), "TaskManagerAlreadySet", [c.tm.address]);
      await expectRevert(c.registry.send(other, "setTaskManager", other), "OwnableUnauthorizedAccount", [other]);
      const r = await registryWithManager(c.creator2);
      await expectRevert(
        c.publicClient.simulateContract({
          address: r.address,
          abi: nodeRegistryAbi,
          functionName: "setTaskManager",
          args: [zeroAddress],
          account: c.deployer,
        }),
        "ZeroAddress",
      );
    });
  });

  describe("owner parameters", () => {
    it("setStakeAmount applies to later joins; joined nodes get back what they staked", async () => {
      await c.join(node);
      const { events } = await c.registry.send(c.deployer, "setStakeAmount", STAKE * 2n);
      assert.deepEqual(eventNames(events), ["StakeAmountUpdated"]);
      assert.equal(await c.registry.read("stakeAmount"), STAKE * 2n);
      await c.registry.send(node, "quit");
      assert.equal(await c.balance(node), STAKE);
      await expectRevert(c.join(other), "InsufficientStakeBalance", [other, STAKE, STAKE * 2n]);
    });

    it("rejects bad values and callers other than the owner", async () => {
      await expectRevert(c.registry.send(c.deployer, "setStakeAmount", 0n), "InvalidStakeAmount", [0n]);
      await expectRevert(c.registry.send(c.deployer, "setStakeAmount", 2n ** 96n), "InvalidStakeAmount", [2n ** 96n]);
      await expectRevert(c.registry.send(c.deployer, "setMaxNodes", 2n), "InvalidMaxNodes", [2n]);
      await expectRevert(c.registry.send(c.deployer, "setIncentivePool", zeroAddress), "ZeroAddress");
      await expectRevert(c.registry.send(other, "setStakeAmount", 1n), "OwnableUnauthorizedAccount", [other]);
      await expectRevert(c.registry.send(other, "setMaxNodes", 10n), "OwnableUnauthorizedAccount", [other]);
      await expectRevert(c.registry.send(other, "setIncentivePool", other), "OwnableUnauthorizedAccount", [other]);
    });

    it("reverts NetworkFull past maxNodes", async () => {
      await c.registry.send(c.deployer, "setMaxNodes", 3n);
      await c.joinNodes(3);
      const fourth = c.nodes[3] as Address;
      await expectRevert(c.join(fourth), "NetworkFull", [3n]);
    });

    it("setIncentivePool changes where slashed stakes go", async () => {
      const { events } = await c.registry.send(c.deployer, "setIncentivePool", other);
      assert.deepEqual(eventNames(events), ["IncentivePoolUpdated"]);
      assert.equal(await c.registry.read("incentivePool"), other);
    });

    it("ownership moves in two steps", async () => {
      await c.registry.send(c.deployer, "transferOwnership", other);
      assert.equal(await c.registry.read("owner"), c.deployer);
      await c.registry.send(other, "acceptOwnership");
      assert.equal(await c.registry.read("owner"), other);
    });
  });
});

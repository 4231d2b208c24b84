import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventNames, expectRevert, FEE, Phase, Round, Status, signPermit, TIMEOUT } from "@hydrogen/testnet";
import { type Address, type Hex, keccak256, toHex, zeroHash } from "viem";
import { suiteChain, taskInfo } from "./helpers/scenario.ts";

describe("TaskManager: createTask", () => {
  const c = suiteChain({ accounts: 14, nodes: 5 });

  it("escrows 3 fees, draws 3 distinct nodes, marks them Busy and emits one TaskCreated per node", async () => {
    const taskHash = keccak256(toHex('{"prompt":"a cat"}'));
    const before = await c.balance(c.creator);
    const { taskId, nodes, events, receipt } = await c.createTask(c.creator, taskHash);
    assert.equal(taskId, 1n);
    assert.equal(new Set(nodes).size, 3);
    for (const node of nodes) assert.equal(await c.status(node), Status.Busy);
    assert.equal(await c.balance(c.creator), before);
    assert.equal(await c.balance(c.tm.address), 3n * FEE);
    assert.equal(await c.registry.read("availableNodeCount"), 2n);
    const created = events.filter((e) => e.eventName === "TaskCreated") as unknown as {
      args: { creator: Address; taskHash: Hex; dataHash: Hex; round: number };
    }[];
    assert.deepEqual(
      created.map((e) => [e.args.creator, e.args.taskHash, e.args.dataHash, e.args.round]),
      [0, 1, 2].map((round) => [c.creator, taskHash, zeroHash, round]),
    );
    const block = await c.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const info = await taskInfo(c, taskId);
    assert.equal(info.creator, c.creator);
    assert.equal(info.feePerNode, FEE);
    assert.equal(info.deadline, block.timestamp + BigInt(TIMEOUT));
    assert.equal(info.phase, Phase.Created);
    assert.deepEqual(info.nodes, nodes);
    assert.deepEqual(info.rounds, [Round.Pending, Round.Pending, Round.Pending]);
  });

  it("numbers tasks from 1 upwards", async () => {
    assert.equal(await c.tm.read("nextTaskId"), 1n);
    assert.equal((await c.createTask()).taskId, 1n);
    await c.join(c.nodes[5] as Address);
    assert.equal((await c.createTask()).taskId, 2n);
    assert.equal(await c.tm.read("nextTaskId"), 3n);
  });

  it("reverts InsufficientBalance when the creator lacks CNX", async () => {
    await c.cnx.send(c.creator2, "approve", c.tm.address, 3n * FEE);
    await expectRevert(c.tm.send(c.creator2, "createTask", zeroHash, zeroHash), "InsufficientBalance", [
      c.creator2,
      0n,
      3n * FEE,
    ]);
  });

  it("reverts InsufficientAllowance when the creator has not approved the fee", async () => {
    await c.fund(c.creator2, 3n * FEE);
    await c.cnx.send(c.creator2, "approve", c.tm.address, 3n * FEE - 1n);
    await expectRevert(c.tm.send(c.creator2, "createTask", zeroHash, zeroHash), "InsufficientAllowance", [
      c.creator2,
      3n * FEE - 1n,
      3n * FEE,
    ]);
  });

  it("reverts NotEnoughAvailableNodes with fewer than 3 available nodes", async () => {
    await c.createTask();
    await c.fund(c.creator, 3n * FEE);
    await c.cnx.send(c.creator, "approve", c.tm.address, 3n * FEE);
    await expectRevert(c.tm.send(c.creator, "createTask", zeroHash, zeroHash), "NotEnoughAvailableNodes", [2n, 3n]);
    assert.equal(await c.balance(c.tm.address), 3n * FEE, "nothing taken by the failed call");
  });

  it("createTaskWithPermit approves and creates in one transaction", async () => {
    await c.fund(c.creator, 3n * FEE);
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const { v, r, s } = await signPermit(c, 2, c.tm.address, 3n * FEE, deadline);
    const { events } = await c.tm.send(c.creator, "createTaskWithPermit", zeroHash, zeroHash, deadline, v, r, s);
    assert.equal(eventNames(events).filter((n) => n === "TaskCreated").length, 3);
    assert.equal(await c.balance(c.creator), 0n);
  });

  it("createTaskWithPermit still works when the permit was already used (front-run) and the allowance is there", async () => {
    await c.fund(c.creator, 3n * FEE);
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const { v, r, s } = await signPermit(c, 2, c.tm.address, 3n * FEE, deadline);
    await c.cnx.send(c.creator2, "permit", c.creator, c.tm.address, 3n * FEE, deadline, v, r, s);
    await c.tm.send(c.creator, "createTaskWithPermit", zeroHash, zeroHash, deadline, v, r, s);
    assert.equal(await c.balance(c.tm.address), 3n * FEE);
  });

  it("getTask reverts TaskNotFound for a task that does not exist", async () => {
    await expectRevert(c.tm.read("getTask", 9n), "TaskNotFound", [9n]);
  });

  describe("owner parameters", () => {
    it("setFeePerNode, setDistanceThreshold and setTaskTimeout emit and apply to later tasks only", async () => {
      const first = await c.createTask();
      const fee = await c.tm.send(c.deployer, "setFeePerNode", 2n * FEE);
      assert.deepEqual(eventNames(fee.events), ["FeePerNodeUpdated"]);
      const threshold = await c.tm.send(c.deployer, "setDistanceThreshold", 9n);
      assert.deepEqual(eventNames(threshold.events), ["DistanceThresholdUpdated"]);
      const timeout = await c.tm.send(c.deployer, "setTaskTimeout", 60n);
      assert.deepEqual(eventNames(timeout.events), ["TaskTimeoutUpdated"]);
      assert.equal(await c.tm.read("feePerNode"), 2n * FEE);
      assert.equal(await c.tm.read("distanceThreshold"), 9n);
      assert.equal(await c.tm.read("taskTimeout"), 60n);
      const info = await taskInfo(c, first.taskId);
      assert.equal(info.feePerNode, FEE, "a running task keeps its fee");
    });

    it("rejects out-of-range values and callers other than the owner", async () => {
      await expectRevert(c.tm.send(c.deployer, "setDistanceThreshold", 0n), "InvalidDistanceThreshold", [0n]);
      await expectRevert(c.tm.send(c.deployer, "setDistanceThreshold", 65n), "InvalidDistanceThreshold", [65n]);
      await expectRevert(c.tm.send(c.deployer, "setTaskTimeout", 0n), "InvalidTaskTimeout", [0n]);
      await expectRevert(c.tm.send(c.deployer, "setTaskTimeout", 31n * 86400n), "InvalidTaskTimeout", [31n * 86400n]);
      await expectRevert(c.tm.send(c.deployer, "setFeePerNode", 2n ** 95n), "InvalidFeePerNode", [2n ** 95n]);
      const stranger = c.creator2;
      await expectRevert(c.tm.send(stranger, "setFeePerNode", 1n), "OwnableUnauthorizedAccount", [stranger]);
      await expectRevert(c.tm.send(stranger, "setDistanceThreshold", 3n), "OwnableUnauthorizedAccount", [stranger]);
      await expectRevert(c.tm.send(stranger, "setTaskTimeout", 3n), "OwnableUnauthorizedAccount", [stranger]);
    });

    it("ownership moves in two steps", async () => {
      await c.tm.send(c.deployer, "transferOwnership", c.creator2);
      await expectRevert(c.tm.send(c.creator, "acceptOwnership"), "OwnableUnauthorizedAccount", [c.creator]);
      await c.tm.send(c.creator2, "acceptOwnership");
      assert.equal(await c.tm.read("owner"), c.creator2);
    });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expectRevert, Round, result } from "@hydrogen/testnet";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { act, HONEST, suiteChain, taskInfo } from "./helpers/scenario.ts";

describe("TaskManager: attacks", () => {
  const c = suiteChain({ accounts: 20, nodes: 10 });

  it("a node that copies another node's commitment can never disclose it", async () => {
    const task = await c.createTask();
    const [honest, copier, third] = task.nodes as [Address, Address, Address];
    const { events } = await c.commit(task.taskId, 0, honest, HONEST);
    const commitment = (events[0] as unknown as { args: { commitment: Hex } }).args.commitment;
    await c.tm.send(copier, "submitTaskResultCommitment", task.taskId, 1, commitment);
    await c.commit(task.taskId, 2, third, HONEST);
    // After the honest disclosure the copier knows the result and the salt, and still fails:
    // the commitment binds the honest node's address.
    await c.disclose(task.taskId, 0, honest, HONEST);
    await assert.rejects(
      c.tm.send(copier, "discloseTaskResult", task.taskId, 1, HONEST, c.saltFor(task.taskId, 0)),
      /CommitmentMismatch/,
    );
    assert.equal((await taskInfo(c, task.taskId)).rounds[1], Round.Committed);
  });

  it("a node cannot disclose for another node's round, nor with another node's result and salt", async () => {
    const task = await c.createTask();
    const [a, b] = task.nodes as [Address, Address];
    await act(c, task, [HONEST, result(1, 1, 20), HONEST]);
    await expectRevert(
      c.tm.send(b, "discloseTaskResult", task.taskId, 0, HONEST, c.saltFor(task.taskId, 0)),
      "NotSelectedNode",
      [task.taskId, 0n, b],
    );
    await c.disclose(task.taskId, 0, a, HONEST);
    await assert.rejects(
      c.tm.send(b, "discloseTaskResult", task.taskId, 1, HONEST, c.saltFor(task.taskId, 0)),
      /CommitmentMismatch/,
    );
  });

  it("a node cannot act on another round of its task, or on a task it was not selected for", async () => {
    const first = await c.createTask();
    const second = await c.createTask(c.creator2);
    const [a] = first.nodes as [Address];
    const outsider = second.nodes[0] as Address;
    await expectRevert(c.commit(first.taskId, 1, a, HONEST), "NotSelectedNode", [first.taskId, 1n, a]);
    await expectRevert(c.commit(first.taskId, 0, outsider, HONEST), "NotSelectedNode", [first.taskId, 0n, outsider]);
    await expectRevert(c.tm.send(outsider, "reportTaskError", first.taskId, 0), "NotSelectedNode", [
      first.taskId,
      0n,
      outsider,
    ]);
  });

  it("a commitment made for one task cannot be disclosed in another (the task id is bound)", async () => {
    const first = await c.createTask();
    const node = first.nodes[0] as Address;
    const salt = c.saltFor(first.taskId, 0);
    const forFirst = (await c.tm.read("makeCommitment", first.taskId, node, HONEST, salt)) as Hex;
    const forSecond = (await c.tm.read("makeCommitment", first.taskId + 1n, node, HONEST, salt)) as Hex;
    assert.notEqual(forFirst, forSecond);
    await c.tm.send(node, "submitTaskResultCommitment", first.taskId, 0, forSecond);
    await act(c, first, [undefined as never, HONEST, HONEST]);
    await assert.rejects(c.tm.send(node, "discloseTaskResult", first.taskId, 0, HONEST, salt), /CommitmentMismatch/);
  });

  it("a replayed disclosure reverts and changes nothing", async () => {
    const task = await c.createTask();
    await act(c, task, [HONEST, HONEST, HONEST]);
    const node = task.nodes[0] as Address;
    await c.disclose(task.taskId, 0, node, HONEST);
    const before = await taskInfo(c, task.taskId);
    await expectRevert(c.disclose(task.taskId, 0, node, HONEST), "NothingToDisclose", [
      task.taskId,
      0n,
      Round.Disclosed,
    ]);
    assert.deepEqual(await taskInfo(c, task.taskId), before);
    await c.disclose(task.taskId, 1, task.nodes[1] as Address, HONEST);
    await expectRevert(c.disclose(task.taskId, 1, task.nodes[1] as Address, HONEST), "NothingToDisclose", [
      task.taskId,
      1n,
      Round.Settled,
    ]);
  });

  it("a creator cannot steer the draw with the task hash: the same hash draws different nodes in different blocks", async () => {
    const taskHash = keccak256(toHex("a hash chosen by the creator"));
    const drawn = new Set<string>();
    for (let attempt = 0; attempt < 8; attempt++) {
      await c.restore();
      await c.testClient.mine({ blocks: 1 + attempt }); // later blocks, new prevrandao
      const task = await c.createTask(c.creator, taskHash);
      assert.equal(task.taskId, 1n, "same task id, creator and hash every time");
      drawn.add([...task.nodes].sort().join(","));
    }
    // 120 possible sets of 3 out of 10: a fixed draw would give 1.
    assert.ok(drawn.size >= 4, `only ${drawn.size} distinct draws`);
  });

  it("a task's fee cannot be drained twice: cancel after completion finds nothing", async () => {
    const task = await c.createTask();
    await act(c, task, [HONEST, HONEST, HONEST]);
    for (const round of [0, 1, 2]) await c.disclose(task.taskId, round, task.nodes[round] as Address, HONEST);
    await c.tm.send(task.nodes[0] as Address, "reportResultsUploaded", task.taskId, 0);
    await c.passDeadline();
    await expectRevert(c.tm.send(c.creator, "cancelTask", task.taskId), "TaskNotFound", [task.taskId]);
    assert.equal(await c.balance(c.tm.address), 0n);
  });
});

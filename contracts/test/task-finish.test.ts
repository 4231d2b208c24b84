import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { taskPhaseSet } from "@hydrogen/protocol";
import { expectRevert, FEE, Phase, Reason, result, STAKE, Status } from "@hydrogen/testnet";
import type { Address } from "viem";
import {
  act,
  assertDeleted,
  balances,
  CHEAT,
  changes,
  discloseInOrder,
  HONEST,
  ledger,
  suiteChain,
  taskInfo,
} from "./helpers/scenario.ts";

describe("TaskManager: upload report, cancellation, busy nodes", () => {
  const c = suiteChain({ accounts: 14, nodes: 3 });

  async function succeeded() {
    const task = await c.createTask();
    await act(c, task, [HONEST, HONEST, HONEST]);
    await discloseInOrder(c, task, [HONEST, HONEST, HONEST], [0, 1]);
    return task;
  }

  describe("reportResultsUploaded", () => {
    it("reverts UnexpectedTaskPhase before TaskSuccess", async () => {
      const task = await c.createTask();
      await expectRevert(
        c.tm.send(task.nodes[0] as Address, "reportResultsUploaded", task.taskId, 0),
        "UnexpectedTaskPhase",
        [task.taskId, Phase.Created, taskPhaseSet("Success")],
      );
    });

    it("reverts NotResultNode for another round, NotSelectedNode for another caller", async () => {
      const task = await succeeded();
      await expectRevert(
        c.tm.send(task.nodes[1] as Address, "reportResultsUploaded", task.taskId, 1),
        "NotResultNode",
        [task.taskId, 1n, 0n],
      );
      await expectRevert(c.tm.send(c.creator, "reportResultsUploaded", task.taskId, 0), "NotSelectedNode", [
        task.taskId,
        0n,
        c.creator,
      ]);
    });

    it("before the 3rd disclosure: pays the result node, keeps the task open, refuses a second report", async () => {
      const task = await succeeded();
      const resultNode = task.nodes[0] as Address;
      await c.tm.send(resultNode, "reportResultsUploaded", task.taskId, 0);
      assert.equal(await c.status(resultNode), Status.Available);
      await expectRevert(c.tm.send(resultNode, "reportResultsUploaded", task.taskId, 0), "ResultsAlreadyReported", [
        task.taskId,
      ]);
      await c.disclose(task.taskId, 2, task.nodes[2] as Address, HONEST);
      await assertDeleted(c, task.taskId);
    });

    it("a late disclosure is judged against the result even after the result node moved on to a new task", async () => {
      const task = await c.createTask();
      const results = [HONEST, HONEST, CHEAT];
      await act(c, task, results);
      await discloseInOrder(c, task, results, [0, 1]);
      await c.tm.send(task.nodes[0] as Address, "reportResultsUploaded", task.taskId, 0);
      // Nodes 0 and 1 are free again; a 4th node makes a new task possible, and whichever
      // of them is drawn overwrites its per-node slot with a new commitment.
      await c.join(c.nodes[3] as Address);
      const next = await c.createTask(c.creator2);
      await act(c, next, [result(1, 9, 30), result(1, 9, 30), result(1, 9, 30)]);
      const before = await balances(c, ledger(c, task));
      const { events } = await c.disclose(task.taskId, 2, task.nodes[2] as Address, CHEAT);
      assert.ok(
        events.some((e) => e.eventName === "NodeSlashedForTask"),
        "the cheat is still caught",
      );
      const deltas = await changes(c, ledger(c, task), before);
      assert.equal(deltas[0], FEE, "its share refunded");
      await assertDeleted(c, task.taskId);
    });
  });

  describe("cancelTask", () => {
    it("reverts DeadlineNotReached before the deadline, for the creator and the nodes", async () => {
      const task = await c.createTask();
      const info = await taskInfo(c, task.taskId);
      for (const who of [c.creator, ...task.nodes]) {
        await assert.rejects(c.tm.send(who, "cancelTask", task.taskId), /DeadlineNotReached/);
      }
      assert.ok(info.deadline > 0n);
    });

    it("reverts NotTaskParticipant for a stranger, before and after the deadline", async () => {
      const task = await c.createTask();
      await expectRevert(c.tm.send(c.creator2, "cancelTask", task.taskId), "NotTaskParticipant", [
        task.taskId,
        c.creator2,
      ]);
      await c.passDeadline();
      await expectRevert(c.tm.send(c.creator2, "cancelTask", task.taskId), "NotTaskParticipant", [
        task.taskId,
        c.creator2,
      ]);
      await expectRevert(c.tm.send(c.nodes[5] as Address, "cancelTask", task.taskId), "NotTaskParticipant", [
        task.taskId,
        c.nodes[5],
      ]);
    });

    for (const who of ["creator", "node"] as const) {
      it(`after the deadline the ${who} cancels: TaskAborted(Cancelled), full refund, nodes freed, not slashed`, async () => {
        const task = await c.createTask();
        await act(c, task, [HONEST]); // a slow task: one commit only
        const before = await balances(c, ledger(c, task));
        await c.passDeadline();
        const caller = who === "creator" ? c.creator : (task.nodes[2] as Address);
        const { events } = await c.tm.send(caller, "cancelTask", task.taskId);
        const aborted = events.find((e) => e.eventName === "TaskAborted") as unknown as { args: { reason: number } };
        assert.equal(aborted.args.reason, Reason.Cancelled);
        assert.deepEqual(await changes(c, ledger(c, task), before), [3n * FEE, 0n, 0n, 0n, 0n, -3n * FEE]);
        for (const node of task.nodes) assert.equal(await c.status(node), Status.Available);
        await assertDeleted(c, task.taskId);
        await expectRevert(c.tm.send(c.creator, "cancelTask", task.taskId), "TaskNotFound", [task.taskId]);
      });
    }

    it("after a success whose upload never came: no TaskAborted, unsettled shares refunded", async () => {
      const task = await succeeded();
      const before = await balances(c, ledger(c, task));
      await c.passDeadline();
      const { events } = await c.tm.send(c.creator, "cancelTask", task.taskId);
      assert.ok(!events.some((e) => e.eventName === "TaskAborted"));
      assert.deepEqual(await changes(c, ledger(c, task), before), [2n * FEE, 0n, 0n, 0n, 0n, -2n * FEE]);
      for (const node of task.nodes) assert.equal(await c.status(node), Status.Available);
    });

    it("works in the disclosure phase too", async () => {
      const task = await c.createTask();
      await act(c, task, [HONEST, HONEST, HONEST]);
      await c.disclose(task.taskId, 1, task.nodes[1] as Address, HONEST);
      await c.passDeadline();
      const { events } = await c.tm.send(task.nodes[0] as Address, "cancelTask", task.taskId);
      assert.ok(events.some((e) => e.eventName === "TaskAborted"));
      await assertDeleted(c, task.taskId);
    });
  });

  describe("pause and quit while busy", () => {
    it("PendingPause becomes Paused and PendingQuit becomes Quit (stake back) when the task finishes", async () => {
      const task = await succeeded();
      const [n0, , n2] = task.nodes as [Address, Address, Address];
      await c.registry.send(n0, "pause");
      await c.registry.send(n2, "quit");
      await c.disclose(task.taskId, 2, n2, HONEST);
      assert.equal(await c.status(n2), Status.Quit);
      assert.equal(await c.balance(n2), STAKE + FEE);
      await c.tm.send(n0, "reportResultsUploaded", task.taskId, 0);
      assert.equal(await c.status(n0), Status.Paused);
      assert.equal(await c.registry.read("availableNodeCount"), 1n);
      assert.equal(await c.registry.read("joinedNodeCount"), 2n);
    });

    it("a node that quit while busy and then cheats loses its stake to the pool", async () => {
      const task = await c.createTask();
      const results = [HONEST, HONEST, CHEAT];
      await act(c, task, results);
      const cheater = task.nodes[2] as Address;
      await c.registry.send(cheater, "quit");
      const pool = await c.balance(c.pool);
      await discloseInOrder(c, task, results, [0, 1, 2]);
      assert.equal(await c.status(cheater), Status.Quit);
      assert.equal(await c.balance(c.pool), pool + STAKE);
      assert.equal(await c.balance(cheater), 0n, "neither stake nor fee");
      assert.equal(await c.registry.read("joinedNodeCount"), 2n);
    });
  });
});

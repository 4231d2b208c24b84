import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { taskPhaseSet } from "@hydrogen/protocol";
import { expectRevert, FEE, Phase, Reason, Round, STAKE, Status } from "@hydrogen/testnet";
import type { Address } from "viem";
import {
  type Action,
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

/** Every order of acting for 3 rounds. */
const ORDERS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];

describe("TaskManager: error reports", () => {
  const c = suiteChain({ accounts: 14, nodes: 3 });

  for (const order of ORDERS) {
    it(`1 error and 2 matching results, acting in order ${order.join("")}: success, the reporter is slashed`, async () => {
      const task = await c.createTask();
      const reporter = order[0] as number;
      const actions: Action[] = [HONEST, HONEST, HONEST];
      actions[reporter] = "error";
      const before = await balances(c, ledger(c, task));
      const receipts = await act(c, task, actions, order);
      assert.ok(receipts[2]?.events.some((e) => e.eventName === "TaskResultCommitmentsReady"));
      const disclosers = order.filter((r) => r !== reporter);
      const disclosed = await discloseInOrder(c, task, actions, disclosers);
      const events = disclosed[1]?.events ?? [];
      const slashed = events.find((e) => e.eventName === "NodeSlashedForTask") as unknown as {
        args: { round: number };
      };
      assert.equal(slashed.args.round, reporter);
      assert.ok(events.some((e) => e.eventName === "TaskSuccess"));
      const resultRound = disclosers[0] as number;
      await c.tm.send(task.nodes[resultRound] as Address, "reportResultsUploaded", task.taskId, resultRound);
      const expected = [FEE, STAKE, FEE, FEE, FEE, -3n * FEE];
      expected[2 + reporter] = 0n;
      assert.deepEqual(await changes(c, ledger(c, task), before), expected);
      await assertDeleted(c, task.taskId);
    });
  }

  it("1 error and 2 different results: aborted (ResultsDisagree), full refund, nobody slashed", async () => {
    const task = await c.createTask();
    const actions: Action[] = [HONEST, "error", CHEAT];
    const before = await balances(c, ledger(c, task));
    await act(c, task, actions);
    const receipts = await discloseInOrder(c, task, actions, [2, 0]);
    const aborted = receipts[1]?.events.find((e) => e.eventName === "TaskAborted") as unknown as {
      args: { reason: number };
    };
    assert.equal(aborted.args.reason, Reason.ResultsDisagree);
    assert.deepEqual(await changes(c, ledger(c, task), before), [3n * FEE, 0n, 0n, 0n, 0n, -3n * FEE]);
    for (const node of task.nodes) assert.equal(await c.status(node), Status.Available);
    await assertDeleted(c, task.taskId);
  });

  for (const [order, commitAt] of ORDERS.flatMap((o) => [0, 1].map((k) => [o, k] as const))) {
    it(`2 errors and a commit, acting in order ${order.join("")} (commit ${commitAt ? "2nd" : "1st"}): aborted at the 2nd error, reporters paid, committer slashed`, async () => {
      const task = await c.createTask();
      const committer = order[commitAt] as number;
      const actions: Action[] = ["error", "error", "error"];
      actions[committer] = HONEST;
      const before = await balances(c, ledger(c, task));
      const receipts = await act(c, task, actions, order);
      const last = receipts[2]?.events ?? [];
      const aborted = last.find((e) => e.eventName === "TaskAborted") as unknown as { args: { reason: number } };
      assert.equal(aborted.args.reason, Reason.ErrorReported);
      const expected = [FEE, STAKE, FEE, FEE, FEE, -3n * FEE];
      expected[2 + committer] = 0n;
      assert.deepEqual(await changes(c, ledger(c, task), before), expected, "no refund of the reporters' fees");
      assert.equal(await c.status(task.nodes[committer] as Address), Status.Quit);
      await assertDeleted(c, task.taskId);
    });
  }

  for (const order of ORDERS) {
    it(`3 errors in order ${order.join("")}: aborted at the 2nd, the late 3rd reporter is paid too`, async () => {
      const task = await c.createTask();
      const before = await balances(c, ledger(c, task));
      const receipts = await act(c, task, ["error", "error", "error"], order.slice(0, 2));
      assert.ok(receipts[1]?.events.some((e) => e.eventName === "TaskAborted"));
      const late = order[2] as number;
      const info = await taskInfo(c, task.taskId);
      assert.equal(info.phase, Phase.Aborted);
      assert.equal(info.rounds[late], Round.Pending);
      assert.equal(await c.status(task.nodes[late] as Address), Status.Busy);
      await c.tm.send(task.nodes[late] as Address, "reportTaskError", task.taskId, late);
      assert.deepEqual(await changes(c, ledger(c, task), before), [0n, 0n, FEE, FEE, FEE, -3n * FEE]);
      await assertDeleted(c, task.taskId);
    });
  }

  it("2 errors, the 3rd never acts: freed by cancelTask after the deadline with its share refunded", async () => {
    const task = await c.createTask();
    const before = await balances(c, ledger(c, task));
    await act(c, task, ["error", "error"]);
    await expectRevert(c.tm.send(c.creator, "cancelTask", task.taskId), "DeadlineNotReached");
    await c.passDeadline();
    const { events } = await c.tm.send(c.creator, "cancelTask", task.taskId);
    assert.ok(!events.some((e) => e.eventName === "TaskAborted"), "already aborted: no second TaskAborted");
    assert.deepEqual(await changes(c, ledger(c, task), before), [FEE, 0n, FEE, FEE, 0n, -3n * FEE]);
    assert.equal(await c.status(task.nodes[2] as Address), Status.Available);
    await assertDeleted(c, task.taskId);
  });

  it("after an abort for errors: commit and disclose revert UnexpectedTaskPhase", async () => {
    const task = await c.createTask();
    await act(c, task, ["error", "error"]);
    const late = task.nodes[2] as Address;
    await expectRevert(c.commit(task.taskId, 2, late, HONEST), "UnexpectedTaskPhase", [
      task.taskId,
      Phase.Aborted,
      taskPhaseSet("Created"),
    ]);
    await expectRevert(c.disclose(task.taskId, 2, late, HONEST), "UnexpectedTaskPhase", [
      task.taskId,
      Phase.Aborted,
      taskPhaseSet("CommitmentsReady", "Success"),
    ]);
    await expectRevert(c.tm.send(task.nodes[0] as Address, "reportTaskError", task.taskId, 0), "RoundAlreadyActed", [
      task.taskId,
      0n,
      Round.Settled,
    ]);
  });

  it("an error report is one action per round: no second report, no report after a commit or in the disclosure phase", async () => {
    const task = await c.createTask();
    const [n0, n1, n2] = task.nodes as [Address, Address, Address];
    await c.tm.send(n0, "reportTaskError", task.taskId, 0);
    await expectRevert(c.tm.send(n0, "reportTaskError", task.taskId, 0), "RoundAlreadyActed", [
      task.taskId,
      0n,
      Round.ErrorReported,
    ]);
    await expectRevert(c.commit(task.taskId, 0, n0, HONEST), "RoundAlreadyActed", [
      task.taskId,
      0n,
      Round.ErrorReported,
    ]);
    await c.commit(task.taskId, 1, n1, HONEST);
    await expectRevert(c.tm.send(n1, "reportTaskError", task.taskId, 1), "RoundAlreadyActed", [
      task.taskId,
      1n,
      Round.Committed,
    ]);
    await expectRevert(c.tm.send(n1, "reportTaskError", task.taskId, 2), "NotSelectedNode", [task.taskId, 2n, n1]);
    await c.commit(task.taskId, 2, n2, HONEST);
    await expectRevert(c.tm.send(n2, "reportTaskError", task.taskId, 2), "UnexpectedTaskPhase", [
      task.taskId,
      Phase.CommitmentsReady,
      taskPhaseSet("Created"),
    ]);
  });
});

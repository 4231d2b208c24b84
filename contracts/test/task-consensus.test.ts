import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { taskPhaseSet } from "@hydrogen/protocol";
import { eventNames, expectRevert, FEE, Phase, Reason, Round, result, STAKE, Status } from "@hydrogen/testnet";
import type { Address, Hex } from "viem";
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
  NOISY,
  OTHER_CHEAT,
  suiteChain,
  taskInfo,
} from "./helpers/scenario.ts";

describe("TaskManager: commit, disclose and the majority", () => {
  const c = suiteChain({ accounts: 14, nodes: 3 });

  it("the 3rd action emits TaskResultCommitmentsReady and moves the task to CommitmentsReady", async () => {
    const task = await c.createTask();
    const receipts = await act(c, task, [HONEST, HONEST, HONEST]);
    assert.deepEqual(eventNames(receipts[0]?.events ?? []), ["TaskResultCommitmentSubmitted"]);
    assert.deepEqual(eventNames(receipts[2]?.events ?? []), [
      "TaskResultCommitmentSubmitted",
      "TaskResultCommitmentsReady",
    ]);
    const info = await taskInfo(c, task.taskId);
    assert.equal(info.phase, Phase.CommitmentsReady);
    assert.deepEqual(info.rounds, [Round.Committed, Round.Committed, Round.Committed]);
  });

  it("success with no cheater: 2nd discloser paid at once, 3rd paid, result node paid on upload, storage deleted", async () => {
    const task = await c.createTask();
    const [n0, n1, n2] = task.nodes as [Address, Address, Address];
    const before = await balances(c, ledger(c, task));
    await act(c, task, [HONEST, NOISY, HONEST]);
    const [d0, d1, d2] = await discloseInOrder(c, task, [HONEST, NOISY, HONEST], [0, 1, 2]);
    assert.deepEqual(eventNames(d0?.events ?? []), ["TaskResultDisclosed"]);
    const success = d1?.events.find((e) => e.eventName === "TaskSuccess") as unknown as {
      args: { result: Hex; resultNode: Address };
    };
    assert.equal(success.args.result, HONEST, "the result node's own result");
    assert.equal(success.args.resultNode, n0);
    assert.equal(await c.status(n1), Status.Available, "2nd discloser freed at once");
    assert.equal(await c.tm.read("taskResult", task.taskId), HONEST);
    assert.ok(eventNames(d2?.events ?? []).includes("NodePaid"));
    assert.equal(await c.status(n2), Status.Available);
    assert.equal(await c.status(n0), Status.Busy, "result node busy until it reports the upload");
    const upload = await c.tm.send(n0, "reportResultsUploaded", task.taskId, 0);
    assert.deepEqual(eventNames(upload.events), ["TaskResultUploaded", "NodePaid", "Transfer", "NodeStatusChanged"]);
    assert.equal(await c.status(n0), Status.Available);
    assert.deepEqual(await changes(c, ledger(c, task), before), [0n, 0n, FEE, FEE, FEE, -3n * FEE]);
    await assertDeleted(c, task.taskId);
  });

  for (const position of [0, 1, 2]) {
    it(`one cheater disclosing in position ${position + 1}: slashed, stake to the pool, its share refunded, task succeeds`, async () => {
      const task = await c.createTask();
      const cheater = position; // round `position` cheats and discloses in that position
      const results: Action[] = [HONEST, HONEST, HONEST];
      results[cheater] = CHEAT;
      const before = await balances(c, ledger(c, task));
      await act(c, task, results);
      const receipts = await discloseInOrder(c, task, results, [0, 1, 2]);
      const all = receipts.flatMap((r) => r.events);
      const slashed = all.find((e) => e.eventName === "NodeSlashedForTask") as unknown as {
        args: { node: Address; round: number };
      };
      assert.equal(slashed.args.round, cheater);
      const success = all.find((e) => e.eventName === "TaskSuccess") as unknown as {
        args: { result: Hex; resultNode: Address };
      };
      // The result node is the first discloser of the matching pair.
      const resultRound = cheater === 0 ? 1 : 0;
      assert.equal(success.args.resultNode, task.nodes[resultRound]);
      assert.equal(success.args.result, HONEST);
      const cheaterNode = task.nodes[cheater] as Address;
      assert.equal(await c.status(cheaterNode), Status.Quit);
      assert.equal(await c.registry.read("stakeOf", cheaterNode), 0n);
      await c.tm.send(task.nodes[resultRound] as Address, "reportResultsUploaded", task.taskId, resultRound);
      const expected = [FEE, STAKE, FEE, FEE, FEE, -3n * FEE];
      expected[2 + cheater] = 0n;
      assert.deepEqual(await changes(c, ledger(c, task), before), expected);
      await assertDeleted(c, task.taskId);
      for (const [round, node] of task.nodes.entries()) {
        if (round !== cheater) assert.equal(await c.status(node), Status.Available);
      }
    });
  }

  it("three different results: aborted (ResultsDisagree), full refund, all freed, nobody slashed", async () => {
    const task = await c.createTask();
    const results: Action[] = [HONEST, CHEAT, OTHER_CHEAT];
    const before = await balances(c, ledger(c, task));
    await act(c, task, results);
    const receipts = await discloseInOrder(c, task, results, [2, 0, 1]);
    const last = receipts[2]?.events ?? [];
    const aborted = last.find((e) => e.eventName === "TaskAborted") as unknown as { args: { reason: number } };
    assert.equal(aborted.args.reason, Reason.ResultsDisagree);
    assert.ok(!last.some((e) => e.eventName === "NodeSlashedForTask"));
    assert.deepEqual(await changes(c, ledger(c, task), before), [3n * FEE, 0n, 0n, 0n, 0n, -3n * FEE]);
    for (const node of task.nodes) assert.equal(await c.status(node), Status.Available);
    await assertDeleted(c, task.taskId);
  });

  it("matches at distance threshold − 1 and not at the threshold", async () => {
    const task = await c.createTask();
    const near = result(1, 0, 4); // 4 bits from HONEST
    const far = result(1, 0, 5); // 5 bits from HONEST
    assert.equal(await c.tm.read("resultsMatch", HONEST, near, 5n), true);
    assert.equal(await c.tm.read("resultsMatch", HONEST, far, 5n), false);
    await act(c, task, [HONEST, far, near]);
    const receipts = await discloseInOrder(c, task, [HONEST, far, near], [0, 1, 2]);
    assert.ok(!eventNames(receipts[1]?.events ?? []).includes("TaskSuccess"), "5 bits apart: no match");
    const third = receipts[2]?.events ?? [];
    assert.ok(eventNames(third).includes("TaskSuccess"), "4 bits apart: a match");
    assert.ok(eventNames(third).includes("NodeSlashedForTask"));
  });

  for (const images of [4, 9]) {
    it(`works with ${images} images, and one differing image is a mismatch`, async () => {
      const task = await c.createTask();
      const honest = result(images);
      const bytes = Buffer.from(honest.slice(2), "hex");
      bytes[(images - 1) * 8] = (bytes[(images - 1) * 8] as number) ^ 0xff; // 8 bits off in the last image
      const cheat = `0x${bytes.toString("hex")}` as Hex;
      await act(c, task, [honest, cheat, honest]);
      const receipts = await discloseInOrder(c, task, [honest, cheat, honest], [0, 1, 2]);
      const success = receipts[2]?.events.find((e) => e.eventName === "TaskSuccess") as unknown as {
        args: { result: Hex };
      };
      assert.equal(success.args.result, honest);
      assert.equal(await c.tm.read("taskResult", task.taskId), honest);
      assert.equal(await c.status(task.nodes[1] as Address), Status.Quit);
    });
  }

  it("a result of a different length never matches", async () => {
    assert.equal(await c.tm.read("resultsMatch", result(1), result(2), 5n), false);
    const task = await c.createTask();
    await act(c, task, [result(1), result(2), result(3)]);
    const receipts = await discloseInOrder(c, task, [result(1), result(2), result(3)], [0, 1, 2]);
    const aborted = receipts[2]?.events.find((e) => e.eventName === "TaskAborted") as unknown as {
      args: { reason: number };
    };
    assert.equal(aborted.args.reason, Reason.ResultsDisagree);
  });

  describe("disclosure reverts", () => {
    it("UnexpectedTaskPhase before every round has acted", async () => {
      const task = await c.createTask();
      await act(c, task, [HONEST, HONEST]);
      await expectRevert(c.disclose(task.taskId, 0, task.nodes[0] as Address, HONEST), "UnexpectedTaskPhase", [
        task.taskId,
        Phase.Created,
        taskPhaseSet("CommitmentsReady", "Success"),
      ]);
    });

    it("CommitmentMismatch for another result or another salt", async () => {
      const task = await c.createTask();
      await act(c, task, [HONEST, HONEST, HONEST]);
      const node = task.nodes[0] as Address;
      await assert.rejects(c.disclose(task.taskId, 0, node, CHEAT), /CommitmentMismatch/);
      await assert.rejects(
        c.tm.send(node, "discloseTaskResult", task.taskId, 0, HONEST, `0x${"11".repeat(32)}`),
        /CommitmentMismatch/,
      );
    });

    it("InvalidResultLength for empty, non-multiple-of-8 and oversized results", async () => {
      const task = await c.createTask();
      const node = task.nodes[0] as Address;
      const short = "0x0102030405060708090a" as Hex;
      const huge = result(101);
      await act(c, task, ["0x", HONEST, HONEST]);
      await expectRevert(c.disclose(task.taskId, 0, node, "0x"), "InvalidResultLength", [task.taskId, 0n]);
      await expectRevert(
        c.tm.send(node, "discloseTaskResult", task.taskId, 0, short, c.saltFor(task.taskId, 0)),
        "InvalidResultLength",
        [task.taskId, 10n],
      );
      await expectRevert(
        c.tm.send(node, "discloseTaskResult", task.taskId, 0, huge, c.saltFor(task.taskId, 0)),
        "InvalidResultLength",
        [task.taskId, 808n],
      );
    });

    it("NothingToDisclose twice, and for a round that reported an error", async () => {
      const task = await c.createTask();
      await act(c, task, [HONEST, HONEST, "error"]);
      await c.disclose(task.taskId, 0, task.nodes[0] as Address, HONEST);
      await expectRevert(c.disclose(task.taskId, 0, task.nodes[0] as Address, HONEST), "NothingToDisclose", [
        task.taskId,
        0n,
        Round.Disclosed,
      ]);
      await expectRevert(c.disclose(task.taskId, 2, task.nodes[2] as Address, HONEST), "NothingToDisclose", [
        task.taskId,
        2n,
        Round.ErrorReported,
      ]);
    });

    it("InvalidRound and NotSelectedNode", async () => {
      const task = await c.createTask();
      await act(c, task, [HONEST, HONEST, HONEST]);
      await expectRevert(c.disclose(task.taskId, 3, task.nodes[0] as Address, HONEST), "InvalidRound", [
        task.taskId,
        3n,
      ]);
      await expectRevert(c.disclose(task.taskId, 1, task.nodes[0] as Address, HONEST), "NotSelectedNode", [
        task.taskId,
        1n,
        task.nodes[0],
      ]);
      await expectRevert(c.disclose(task.taskId, 0, c.creator, HONEST), "NotSelectedNode", [
        task.taskId,
        0n,
        c.creator,
      ]);
    });
  });

  describe("commit reverts", () => {
    it("RoundAlreadyActed, UnexpectedTaskPhase, InvalidRound, NotSelectedNode, TaskNotFound", async () => {
      const task = await c.createTask();
      const [n0, n1] = task.nodes as [Address, Address];
      await c.commit(task.taskId, 0, n0, HONEST);
      await expectRevert(c.commit(task.taskId, 0, n0, HONEST), "RoundAlreadyActed", [task.taskId, 0n, Round.Committed]);
      await expectRevert(c.commit(task.taskId, 1, n0, HONEST), "NotSelectedNode", [task.taskId, 1n, n0]);
      await expectRevert(c.commit(task.taskId, 4, n1, HONEST), "InvalidRound", [task.taskId, 4n]);
      await expectRevert(c.commit(task.taskId + 1n, 0, n0, HONEST), "TaskNotFound", [task.taskId + 1n]);
      await act(c, task, [undefined as never, HONEST, HONEST]);
      await expectRevert(c.commit(task.taskId, 1, n1, HONEST), "UnexpectedTaskPhase", [
        task.taskId,
        Phase.CommitmentsReady,
        taskPhaseSet("Created"),
      ]);
    });
  });
});

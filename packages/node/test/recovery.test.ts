import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Network, startNetwork, waitFor } from "@hydrogen/devnet";
import { FEE, Status } from "@hydrogen/testnet";
import { taskArgs } from "./helpers/args.ts";

/**
 * Every node process is killed with SIGKILL at one point of the task, then started again: the
 * task must end completed, every node paid, none slashed. `after:<phase>` is right after the
 * store has the phase; `sent:<fn>` is after the transaction (or upload) went out and before
 * the node recorded it.
 */
const CRASH_POINTS = [
  "after:assigned",
  "after:fetched",
  "after:executed",
  "sent:submitTaskResultCommitment",
  "after:committed",
  "sent:discloseTaskResult",
  "after:disclosed",
  "sent:upload",
  "after:uploaded",
  "sent:reportResultsUploaded",
];

describe("kill -9 at every state, then restart", () => {
  let net: Network;
  before(async () => {
    net = await startNetwork();
  });
  after(() => net?.stop());

  CRASH_POINTS.forEach((point, i) => {
    it(`${point}: the task completes and no node is slashed`, async () => {
      await Promise.all(net.nodes.map((node) => node.stop()));
      await Promise.all(net.nodes.map((node) => node.start({ HYDROGEN_NODE_CRASH_AT: point })));
      const { taskId } = await net.createTask(taskArgs({ seed: 100 + i }));
      // Upload points are reached by the result node only; the others finish normally. Nodes
      // reach a point at different moments (a loaded machine spreads them by seconds), so each
      // one is restarted whenever it is found killed, until every node has settled.
      const restarted = new Set<number>();
      const restarts: Promise<void>[] = [];
      const restartKilled = (): void => {
        for (const node of net.nodes) {
          if (node.process?.signalCode !== "SIGKILL" || restarted.has(node.index)) continue;
          restarted.add(node.index);
          restarts.push(node.start());
        }
      };
      await waitFor(`a node to crash at ${point}`, () => {
        restartKilled();
        return restarted.size > 0;
      });
      const supervisor = setInterval(restartKilled, 100);
      try {
        for (const node of net.nodes) {
          const task = await net.settled(node, taskId);
          assert.equal(task.outcome, "paid", `node ${node.index} after ${point}: ${JSON.stringify(task)}`);
          assert.equal(BigInt(task.paidWei), FEE);
          assert.notEqual(await net.chain.status(node.address), Status.Quit, "never slashed");
        }
      } finally {
        clearInterval(supervisor);
        await Promise.all(restarts);
      }
      assert.equal((await net.creator.getTaskStatus(taskId)).phase, "results_uploaded");
    });
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkpoints, startModelHost, writeHeader } from "@hydrogen/node/testing";
import {
  cancelTask,
  createTask,
  getNodeStatus,
  getTaskEvents,
  runTask,
  TaskAbortedError,
  type TaskEvent,
  uploadTaskArgs,
  waitForTask,
} from "@hydrogen/sdk";
import { type Network, type NetworkOptions, smallArgs, waitFor, withNetwork } from "./helpers/network.ts";

type Named<N extends TaskEvent["name"]> = Extract<TaskEvent, { name: N }>;
const of = <N extends TaskEvent["name"]>(events: TaskEvent[], name: N) =>
  events.filter((e): e is Named<N> => e.name === name);

/** Every node is Available again with its stake (the task released them). */
async function allFree(network: Network, except: string[] = []) {
  await waitFor("nodes to be free", async () => {
    for (const node of network.nodes) {
      if (except.includes(node.address)) continue;
      const status = await getNodeStatus(network.app, { node: node.address });
      if (status.status !== "Available") return false;
    }
    return true;
  });
}

/**
 * The chains the first scenarios run on: anvil, and Hardhat's node (a second, independently
 * written EVM) with 1-second blocks and a chain id other than anvil's.
 */
const CHAINS: { name: string; options: NetworkOptions }[] = [
  { name: "anvil", options: {} },
  {
    name: "Hardhat node, 1-s blocks, chain 1337",
    options: { node: "hardhat", hardhat: { chainId: 1337, blockMs: 1000 } },
  },
];

describe("whole-network scenarios (a local chain, relay and node processes, the SDK)", () => {
  for (const { name, options } of CHAINS) {
    it(`success (${name}): the task completes, the images verify, every node is paid, nobody is slashed`, async () => {
      await withNetwork(options, async (network) => {
        const run = await runTask(network.app, { args: smallArgs(1, 2) });
        assert.equal(run.images.length, 2);
        await waitFor(
          "the result upload report",
          async () => of(await getTaskEvents(network.app, { taskId: run.taskId }), "TaskResultUploaded").length === 1,
        );
        const events = await getTaskEvents(network.app, { taskId: run.taskId });
        assert.equal(of(events, "NodePaid").length, 3);
        assert.equal(of(events, "NodeSlashedForTask").length, 0);
        assert.equal(of(events, "CreatorRefunded").length, 0);
        await allFree(network);
      });
    });

    it(`one dishonest node (${name}): slashed, its stake in the incentive pool, the task succeeds, the app refunded its share`, async () => {
      await withNetwork(
        { ...options, nodeConfig: (i) => (i === 2 ? { engine: { kind: "synthetic", dishonest: true } } : {}) },
        async (network) => {
          const liar = network.node(2).address;
          const poolBefore = await network.chain.balance(network.chain.pool);
          const run = await runTask(network.app, { args: smallArgs(2) });
          assert.equal(run.images.length, 1);
          const events = await waitFor("the slash", async () => {
            const all = await getTaskEvents(network.app, { taskId: run.taskId });
            return of(all, "NodeSlashedForTask").length === 1 && of(all, "TaskResultUploaded").length === 1
              ? all
              : undefined;
          });
          assert.equal(of(events, "NodeSlashedForTask")[0]?.node, liar);
          const refund = of(events, "CreatorRefunded");
          assert.equal(refund.length, 1);
          assert.equal(refund[0]?.amount, BigInt(network.chain.deployment.parameters.feePerNode));
          const status = await getNodeStatus(network.app, { node: liar });
          assert.equal(status.status, "Quit");
          assert.equal(status.stake, 0n);
          assert.equal(
            (await network.chain.balance(network.chain.pool)) - poolBefore,
            BigInt(network.chain.deployment.parameters.stakeAmount),
          );
          await allFree(network, [liar]);
        },
      );
    });
  }

  it("three disagreeing nodes: aborted (ResultsDisagree), the whole fee refunded, nobody slashed", async () => {
    await withNetwork({ nodeConfig: () => ({ engine: { kind: "synthetic", dishonest: true } }) }, async (network) => {
      const created = await createTask(network.app, { args: smallArgs(3) });
      await uploadTaskArgs(network.app, created);
      await assert.rejects(
        waitForTask(network.app, { taskId: created.taskId, fromBlock: created.blockNumber }),
        (error: unknown) => {
          assert.ok(error instanceof TaskAbortedError);
          assert.equal(error.reason, "ResultsDisagree");
          return true;
        },
      );
      const events = await getTaskEvents(network.app, { taskId: created.taskId });
      assert.equal(of(events, "NodeSlashedForTask").length, 0);
      assert.equal(
        of(events, "CreatorRefunded").reduce((sum, e) => sum + e.amount, 0n),
        created.fee,
      );
      await allFree(network);
    });
  });

  it("two nodes report a task error: aborted (ErrorReported), the reporters are paid", async () => {
    await withNetwork(
      { nodeConfig: (i) => (i < 2 ? { engine: { kind: "synthetic", reject: true } } : {}) },
      async (network) => {
        const created = await createTask(network.app, { args: smallArgs(4) });
        await uploadTaskArgs(network.app, created);
        await assert.rejects(
          waitForTask(network.app, { taskId: created.taskId, fromBlock: created.blockNumber }),
          (error: unknown) => error instanceof TaskAbortedError && error.reason === "ErrorReported",
        );
        const reporters = [network.node(0).address, network.node(1).address];
        const events = await waitFor("the reporters' payments", async () => {
          const all = await getTaskEvents(network.app, { taskId: created.taskId });
          return reporters.every((r) => of(all, "NodePaid").some((p) => p.node === r)) ? all : undefined;
        });
        assert.deepEqual(new Set(of(events, "TaskErrorReported").map((e) => e.node)), new Set(reporters));
        for (const reporter of reporters)
          assert.equal((await getNodeStatus(network.app, { node: reporter })).status, "Available");
      },
    );
  });

  it("a node that never answers: the deadline passes, the task is cancelled, the app refunded, the node freed", async () => {
    await withNetwork({}, async (network) => {
      const silent = network.node(1);
      silent.service.freeze(true);
      try {
        const created = await createTask(network.app, { args: smallArgs(5) });
        await uploadTaskArgs(network.app, created);
        const waiting = waitForTask(network.app, { taskId: created.taskId, fromBlock: created.blockNumber });
        waiting.catch(() => {});
        // The two others commit; the commitments are never all in.
        await waitFor(
          "two commitments",
          async () =>
            of(await getTaskEvents(network.app, { taskId: created.taskId }), "TaskResultCommitmentSubmitted").length ===
            2,
        );
        await network.chain.passDeadline();
        await cancelTask(network.app, { taskId: created.taskId }).catch(() => undefined); // a node may cancel first
        await assert.rejects(
          waiting,
          (error: unknown) => error instanceof TaskAbortedError && error.reason === "Cancelled",
        );
        const events = await getTaskEvents(network.app, { taskId: created.taskId });
        assert.ok(of(events, "CreatorRefunded").reduce((sum, e) => sum + e.amount, 0n) > 0n);
        assert.equal(of(events, "NodeSlashedForTask").length, 0);
        const status = await getNodeStatus(network.app, { node: silent.address });
        assert.equal(status.status, "Available");
        assert.equal(status.stake, BigInt(network.chain.deployment.parameters.stakeAmount));
      } finally {
        silent.service.freeze(false);
      }
      await allFree(network);
    });
  });

  it("a gated model and one node without a token: nobody is slashed, the app gets its fee back, the node says why", async () => {
    const host = await startModelHost();
    const dir = mkdtempSync(join(tmpdir(), "hydrogen-gated-"));
    try {
      host.repo("org/gated-sd15", {
        "model.safetensors": readFileSync(writeHeader(join(dir, "sd15.safetensors"), checkpoints.sd15 as never)),
      });
      host.gate("org/gated-sd15", "hf_granted");
      const models = (token?: string) => ({
        hfEndpoint: host.url,
        hfToken: token,
        backoffMs: 100,
        maxBackoffMs: 500,
      });
      await withNetwork(
        {
          nodeConfig: (i) => ({
            engine: { kind: "synthetic", downloadModels: true },
            models: models(i === 2 ? undefined : "hf_granted"),
          }),
        },
        async (network) => {
          const tokenless = network.node(2);
          const args = { ...smallArgs(9), base_model: "org/gated-sd15" };
          const created = await createTask(network.app, { args });
          await uploadTaskArgs(network.app, created);
          // The two nodes with a token download the model and commit; the third retries its 401s.
          await waitFor(
            "two commitments",
            async () =>
              of(await getTaskEvents(network.app, { taskId: created.taskId }), "TaskResultCommitmentSubmitted")
                .length === 2,
          );
          const failing = await waitFor("the tokenless node's failure on its dashboard", async () => {
            const { body } = await tokenless.api<{ lastFailure?: { code: string; reason: string } }>(
              `/api/tasks/${created.taskId}`,
            );
            return body.lastFailure;
          });
          assert.equal(failing.code, "MODEL_UNAVAILABLE");
          assert.match(failing.reason, /HTTP 401/);
          assert.equal(
            of(await getTaskEvents(network.app, { taskId: created.taskId }), "TaskErrorReported").length,
            0,
            "a missing token is never reported as the task's fault",
          );
          await network.chain.passDeadline();
          await cancelTask(network.app, { taskId: created.taskId }).catch(() => undefined); // a node may cancel first
          const events = await waitFor("the cancellation", async () => {
            const all = await getTaskEvents(network.app, { taskId: created.taskId });
            return of(all, "TaskAborted").length === 1 ? all : undefined;
          });
          assert.equal(of(events, "TaskAborted")[0]?.reason, 0, "Cancelled");
          assert.equal(of(events, "NodeSlashedForTask").length, 0, "nobody slashed");
          assert.equal(of(events, "NodePaid").length, 0);
          const refunded = of(events, "CreatorRefunded").reduce((sum, e) => sum + e.amount, 0n);
          assert.equal(refunded, created.fee, "the application pays nothing for a task nobody could finish");
          const missed = await waitFor("the miss on the dashboard", async () => {
            const { body } = await tokenless.api<{ missedByCode: Record<string, number> }>("/api/status");
            return body.missedByCode.MODEL_UNAVAILABLE === 1 ? body.missedByCode : undefined;
          });
          assert.deepEqual(missed, { MODEL_UNAVAILABLE: 1 });
          const metrics = await (await fetch(`${tokenless.apiUrl}/metrics`)).text();
          assert.match(metrics, /hydrogen_node_missed_tasks_total\{code="MODEL_UNAVAILABLE"\} 1/);
          assert.match(metrics, /hydrogen_node_step_failures_total\{step="download",code="MODEL_UNAVAILABLE"\} [1-9]/);
          await allFree(network);
        },
      );
    } finally {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("nodes pausing and quitting while busy: the task completes, then one is Paused, the other Quit with its stake back", async () => {
    await withNetwork({ nodeConfig: () => ({ engine: { kind: "synthetic", delayMs: 1500 } }) }, async (network) => {
      const created = await createTask(network.app, { args: smallArgs(6) });
      await uploadTaskArgs(network.app, created);
      const pausing = network.nodeOf(created.nodes[0]);
      const quitting = network.nodeOf(created.nodes[1]);
      const stakeBefore = await network.chain.balance(quitting.address);
      assert.equal((await pausing.api("/api/actions/pause", { method: "POST" })).status, 200);
      assert.equal((await quitting.api("/api/actions/quit", { method: "POST" })).status, 200);
      assert.equal((await getNodeStatus(network.app, { node: pausing.address })).status, "PendingPause");
      assert.equal((await getNodeStatus(network.app, { node: quitting.address })).status, "PendingQuit");
      const outcome = await waitForTask(network.app, { taskId: created.taskId, fromBlock: created.blockNumber });
      assert.equal(outcome.result.length, 2 + 16);
      await waitFor("the pause and the quit to take effect", async () => {
        const [paused, quit] = await Promise.all([
          getNodeStatus(network.app, { node: pausing.address }),
          getNodeStatus(network.app, { node: quitting.address }),
        ]);
        return paused.status === "Paused" && quit.status === "Quit";
      });
      assert.equal(
        (await network.chain.balance(quitting.address)) - stakeBefore,
        BigInt(network.chain.deployment.parameters.stakeAmount) +
          BigInt(network.chain.deployment.parameters.feePerNode),
      );
    });
  });
});

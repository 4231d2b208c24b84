import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createTask,
  downloadImages,
  getTaskEvents,
  runTask,
  type TaskEvent,
  uploadTaskArgs,
  waitForTask,
} from "@hydrogen/sdk";
import { type Network, smallArgs, withNetwork } from "./helpers/network.ts";
import { waitFor } from "./helpers/processes.ts";
import { startProxy } from "./helpers/proxy.ts";

const slashes = (events: TaskEvent[]) => events.filter((e) => e.name === "NodeSlashedForTask");

/** The task completed on chain (images reported uploaded) with nobody slashed, and its images verify. */
async function completedCleanly(network: Network, taskId: bigint): Promise<void> {
  const events = await waitFor(
    `task ${taskId} to complete`,
    async () => {
      const all = await getTaskEvents(network.app, { taskId });
      return all.some((e) => e.name === "TaskResultUploaded") ? all : undefined;
    },
    90_000,
  );
  assert.deepEqual(slashes(events), []);
  assert.equal((await downloadImages(network.app, { taskId, timeoutMs: 30_000 })).length, 1);
}

describe("faults on a network of real processes", () => {
  for (const point of ["after:assigned", "sent:submitTaskResultCommitment", "sent:discloseTaskResult", "sent:upload"]) {
    it(`kill -9 of every node at ${point}, then a restart: the task finishes, nobody is slashed`, async () => {
      await withNetwork({}, async (network) => {
        await Promise.all(network.nodes.map((n) => n.service.stop("SIGKILL")));
        await Promise.all(network.nodes.map((n) => n.service.start({ HYDROGEN_NODE_CRASH_AT: point })));
        const created = await createTask(network.app, { args: smallArgs(11) });
        await uploadTaskArgs(network.app, created);
        // At least the node that reaches the point first dies there (the upload: the result node).
        await waitFor(`a node to crash at ${point}`, () => network.nodes.some((n) => n.service.exited), 60_000);
        await waitFor("the crash to settle", async () => {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return true;
        });
        await Promise.all(
          network.nodes.map((n) =>
            n.service.exited ? n.service.start() : n.service.stop("SIGKILL").then(() => n.service.start()),
          ),
        );
        await completedCleanly(network, created.taskId);
      });
    });
  }

  it("kill -9 of the relay while the result node uploads, then a restart: no data lost", async () => {
    await withNetwork({ nodeConfig: () => ({ engine: { kind: "synthetic", delayMs: 300 } }) }, async (network) => {
      const created = await createTask(network.app, { args: smallArgs(12) });
      await uploadTaskArgs(network.app, created);
      await waitForTask(network.app, { taskId: created.taskId, fromBlock: created.blockNumber });
      await network.relay.stop("SIGKILL"); // the result node is uploading now, or about to
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await network.relay.start();
      await completedCleanly(network, created.taskId);
    });
  });

  it("kill -9 of the relay while it catches up with the chain, then a restart: every task served once", async () => {
    await withNetwork({ nodes: 9 }, async (network) => {
      await network.relay.stop("SIGKILL");
      const created = [];
      for (const seed of [21, 22, 23]) created.push(await createTask(network.app, { args: smallArgs(seed) }));
      await network.relay.start();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await network.relay.stop("SIGKILL"); // in the middle of catching up
      await network.relay.start();
      for (const task of created) await uploadTaskArgs(network.app, task);
      for (const task of created) await completedCleanly(network, task.taskId);
      for (const task of created) {
        const status = await fetch(`${network.relayUrl}/v1/inference_tasks/${task.taskId}/status`).then((r) =>
          r.json(),
        );
        assert.equal((status as { num_images?: number }).num_images, 1);
      }
    });
  });

  it("every component loses its RPC connection for 10 s mid-task and recovers by itself", async () => {
    const proxies: Awaited<ReturnType<typeof startProxy>>[] = [];
    await withNetwork(
      {
        rpcFor: async (_component, anvilUrl) => {
          const proxy = await startProxy(anvilUrl);
          proxies.push(proxy);
          return proxy.url;
        },
        nodeConfig: () => ({ engine: { kind: "synthetic", delayMs: 500 } }),
      },
      async (network) => {
        const running = runTask(network.app, { args: smallArgs(31), cancelAfterDeadline: false });
        await waitFor("the task to be created", async () => (await network.chain.tm.read("nextTaskId")) === 2n);
        await Promise.all(proxies.map((p) => p.cut()));
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        await Promise.all(proxies.map((p) => p.restore()));
        const run = await running;
        await completedCleanly(network, run.taskId);
      },
    );
    await Promise.all(proxies.map((p) => p.close()));
  });
});

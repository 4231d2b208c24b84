import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startProxy } from "@hydrogen/node/testing";
import {
  accountOf,
  createTask,
  downloadImages,
  getTaskEvents,
  runTask,
  type TaskEvent,
  uploadTaskArgs,
  waitForTask,
} from "@hydrogen/sdk";
import { type Address, createTestClient, http } from "viem";
import { foundry } from "viem/chains";
import { type Network, smallArgs, waitFor, withNetwork } from "./helpers/network.ts";
import { startProviderProxy } from "./helpers/provider-proxy.ts";

import { startUploadTrap } from "./helpers/upload-trap.ts";

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
        await Promise.all(network.nodes.map((n) => n.start({ HYDROGEN_NODE_CRASH_AT: point })));
        const created = await createTask(network.app, { args: smallArgs(11) });
        await uploadTaskArgs(network.app, created);
        // At least the node that reaches the point first dies there (the upload: the result node).
        await waitFor(`a node to crash at ${point}`, () => network.nodes.some((n) => n.service.exited), 60_000);
        await waitFor("the crash to settle", async () => {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return true;
        });
        await Promise.all(
          network.nodes.map((n) => (n.service.exited ? n.start() : n.service.stop("SIGKILL").then(() => n.start()))),
        );
        await completedCleanly(network, created.taskId);
      });
    });
  }

  it("kill -9 of the result node in the middle of its image upload, then a restart: the task finishes", async () => {
    let trap: Awaited<ReturnType<typeof startUploadTrap>> | undefined;
    const relayFor = async (_node: string, relayUrl: string) => {
      trap ??= await startUploadTrap(relayUrl);
      return trap.url;
    };
    try {
      await withNetwork({ relayFor }, async (network) => {
        const created = await createTask(network.app, { args: smallArgs(13) });
        await uploadTaskArgs(network.app, created);
        const outcome = await waitForTask(network.app, { taskId: created.taskId, fromBlock: created.blockNumber });
        const { forwarded, total } = await (trap as NonNullable<typeof trap>).caught;
        assert.ok(forwarded > 0 && forwarded < total, `${forwarded} of ${total} bytes reached the relay`);
        const uploader = network.nodeOf(outcome.resultNode);
        await uploader.service.stop("SIGKILL");
        // The relay keeps nothing of a cut upload.
        await assert.rejects(
          network.app.relay.getResultImage(created.taskId, 0),
          (error: { code?: string }) => error.code === "RELAY_RESULTS_NOT_UPLOADED",
        );
        await uploader.start();
        await completedCleanly(network, created.taskId);
      });
    } finally {
      await trap?.close();
    }
  });

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
    try {
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
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
    }
  });

  it("a reorganisation shallower than the confirmation depth: relay and nodes end consistent", async () => {
    await withNetwork({ confirmations: 3 }, async (network) => {
      const anvil = createTestClient({ chain: foundry, mode: "anvil", transport: http(network.chain.anvil.rpcUrl) });
      const reorg = (depth: number) => anvil.request({ method: "anvil_reorg", params: [depth, []] } as never);
      const miner = startMiner(anvil, 150); // empty blocks, so logs get their confirmations
      try {
        // 1. A task whose creation a reorg removes before it is confirmed: nobody acts on it.
        await miner.pause();
        const dropped = await createTask(network.app, { args: smallArgs(21) });
        await assert.rejects(uploadTaskArgs(network.app, { ...dropped, timeoutMs: 300 }), /accept task/);
        await reorg(1);
        miner.resume();

        // 2. The next task takes the same id. Right after its commitments are complete, the last
        //    two blocks (the last commitments) are reorganised away too. The test mines one block
        //    at a time and looks after each: nodes act on a log only 3 blocks later, so it sees
        //    the commitments complete at most one empty block after, before anyone discloses.
        let removed = 0;
        const reorgDuringVote = (async () => {
          await miner.pause();
          const events = () => getTaskEvents(network.app, { taskId: dropped.taskId });
          await waitFor(
            "the commitments",
            async () => {
              if ((await events()).some((e) => e.name === "TaskResultCommitmentsReady")) return true;
              await anvil.mine({ blocks: 1 });
            },
            60_000,
          );
          // Read just before (the nodes may have disclosed meanwhile: they act on the latest state).
          // A transaction the reorganisation removed may be mined again at once, in a later block.
          const placed = async () => new Set((await events()).map((e) => `${e.transactionHash}@${e.blockNumber}`));
          const before = await placed();
          await reorg(2);
          const after = await placed();
          removed = [...before].filter((event) => !after.has(event)).length;
          miner.resume();
        })();
        const run = await runTask(network.app, { args: smallArgs(22), cancelAfterDeadline: false });
        await reorgDuringVote;
        assert.equal(run.taskId, dropped.taskId);
        assert.ok(removed > 0, "the reorganisation removed some of the task's transactions");
        await completedCleanly(network, run.taskId);

        // The relay holds the second task only; the first one's arguments no longer match.
        assert.equal((await network.app.relay.getTask(run.taskId)).task_args, run.created.taskArgs);
        await assert.rejects(
          uploadTaskArgs(network.app, dropped),
          (error: { code?: string }) => error.code === "RELAY_TASK_HASH_MISMATCH",
        );
        // Each selected node settled it once, paid, not slashed; the chain paid each once.
        const paid = (await getTaskEvents(network.app, { taskId: run.taskId })).filter((e) => e.name === "NodePaid");
        assert.equal(paid.length, 3);
        for (const address of run.created.nodes) {
          const node = network.nodeOf(address);
          await waitFor(`node ${node.index} to settle`, async () => {
            const { body } = await node.api<{
              recentTasks: { taskId: string; phase: string; paidWei: string; slashed: boolean }[];
            }>("/api/status");
            const task = body.recentTasks.find((t) => t.taskId === String(run.taskId));
            return task?.phase === "settled" ? task : undefined;
          }).then((task) => {
            assert.notEqual(task.paidWei, "0");
            assert.equal(task.slashed, false);
          });
        }
      } finally {
        await miner.stop();
      }
    });
  });
});

describe("a reorganisation deeper than the confirmations", () => {
  it("removes a task's creation and its votes: relay, nodes and application end consistent", async () => {
    await withNetwork({ confirmations: 2, nodes: 5 }, async (network) => {
      const anvil = createTestClient({ chain: foundry, mode: "anvil", transport: http(network.chain.anvil.rpcUrl) });
      const miner = startMiner(anvil, 150); // empty blocks, so logs get their confirmations
      try {
        const balance = () => network.chain.balance(accountOf(network.app) as Address);
        const before = await balance();
        const created = await createTask(network.app, { args: smallArgs(41) });
        await uploadTaskArgs(network.app, created);
        const events = () => getTaskEvents(network.app, { taskId: created.taskId });
        // Let relay and nodes apply the creation and the commitments (two blocks deep), then stop
        // (the nodes may have gone further: the reorganisation then removes the rest too).
        const applied = ["commitments_ready", "success", "results_uploaded"];
        await waitFor(
          "the commitments, applied by the relay",
          async () => applied.includes((await network.app.relay.getTask(created.taskId)).phase),
          60_000,
        );
        // Freeze the chain (the nodes' transactions wait in the pool), so the depth stays right.
        await miner.pause();
        await anvil.setAutomine(false);
        const creation = (await events()).find((e) => e.name === "TaskCreated");
        assert.ok(creation);
        const head = await network.chain.publicClient.getBlockNumber({ cacheTime: 0 });
        const raw = await network.chain.publicClient.request({
          method: "eth_getRawTransactionByHash",
          params: [creation.transactionHash],
        });
        // Every block from the creation on is replaced; the creation is mined again one block
        // later (new randomness: maybe other nodes, other rounds), the votes are gone.
        const depth = Number(head - creation.blockNumber) + 1;
        assert.ok(depth > 2, `the reorganisation (${depth} blocks) is deeper than the confirmations`);
        await anvil.request({ method: "anvil_reorg", params: [depth, [[raw, 1]]] } as never);
        await anvil.setAutomine(true);
        miner.resume();

        await completedCleanly(network, created.taskId);
        const final = await events();
        const selected = final.filter((e) => e.name === "TaskCreated");
        assert.equal(selected.length, 3, "created once on the chain that stands");
        assert.equal(selected[0]?.blockNumber, creation.blockNumber + 1n);
        const nodes = selected.map((e) => (e.name === "TaskCreated" ? e.node.toLowerCase() : ""));

        // The application paid one fee; the relay's row is the chain's task, not the replaced one.
        assert.equal(before - (await balance()), 3n * ((await network.chain.tm.read("feePerNode")) as bigint));
        const task = await network.app.relay.getTask(created.taskId);
        assert.deepEqual(
          task.nodes?.map((n) => n.toLowerCase()),
          nodes,
        );
        assert.equal(task.task_args, created.taskArgs);
        // Each selected node was paid once and settled it, nobody was slashed; the others forgot it.
        assert.equal(final.filter((e) => e.name === "NodePaid").length, 3);
        for (const node of network.nodes) {
          const chosen = nodes.includes(node.address.toLowerCase());
          const record = await waitFor(`node ${node.index} to settle or forget`, async () => {
            const { body } = await node.api<{
              recentTasks: { taskId: string; phase: string; paidWei: string; slashed: boolean }[];
            }>("/api/status");
            const found = body.recentTasks.find((t) => t.taskId === String(created.taskId));
            if (chosen) return found?.phase === "settled" ? found : undefined;
            return found === undefined ? { phase: "none", paidWei: "0", slashed: false } : undefined;
          });
          assert.equal(record.slashed, false);
          if (chosen) assert.notEqual(record.paidWei, "0");
        }
        const reorgsSeen = await Promise.all(
          [network.relayUrl, ...network.nodes.map((n) => n.apiUrl)].map(async (url) => {
            const text = await (await fetch(`${url}/metrics`)).text();
            return Number(/_reorgs_total (\d+)/.exec(text)?.[1] ?? 0);
          }),
        );
        assert.ok(reorgsSeen[0] && reorgsSeen[0] >= 1, "the relay rolled back");
      } finally {
        await miner.stop();
      }
    });
  });
});

const CLI = fileURLToPath(new URL("../packages/cli/bin/hydrogen.mjs", import.meta.url));

/** Runs the `hydrogen` CLI; resolves with its standard output, rejects when it exits non-zero. */
async function hydrogen(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(CLI, args, { env: { ...process.env, HYDROGEN_PRIVATE_KEY: "" } });
  return stdout;
}

/** Mines an empty block every `ms` (transactions are still mined at once), until paused or stopped. */
function startMiner(anvil: { mine(args: { blocks: number }): Promise<void> }, ms: number) {
  let paused = false;
  let stopped = false;
  let mining: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (paused || stopped) return;
    mining = mining.then(() => anvil.mine({ blocks: 1 })).catch(() => undefined);
  }, ms);
  return {
    /** Resolves once no block is being mined. */
    async pause() {
      paused = true;
      await mining;
    },
    resume() {
      paused = false;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await mining;
    },
  };
}

describe("behind a public provider's limits", () => {
  it("relay, nodes and SDK complete a task through an RPC that caps log reads, rate-limits, fails at times and drops WebSockets", async () => {
    let provider: Awaited<ReturnType<typeof startProviderProxy>> | undefined;
    try {
      await withNetwork(
        {
          // One provider for every component, as a deployment on a public RPC has; its
          // WebSockets (subscriptions, and the nodes' requests) drop every 1.5 s.
          rpcFor: async (_component, anvilUrl) => {
            provider ??= await startProviderProxy(anvilUrl, {
              maxLogRange: 50,
              maxLogResults: 8,
              rateLimitEvery: 9,
              errorEvery: 13,
              dropSocketsAfterMs: 1500,
            });
            return provider.url;
          },
          maxRange: 50,
        },
        async (network) => {
          // A history longer than the provider's range, for the followers and the SDK to page through.
          await network.chain.testClient.mine({ blocks: 300 });
          const run = await runTask(network.app, { args: smallArgs(80) });
          assert.equal(run.images.length, 1);
          const events = await getTaskEvents(network.app, { taskId: run.taskId });
          assert.equal(events.filter((e) => e.name === "NodePaid").length >= 2, true);
          const seen = provider as NonNullable<typeof provider>;
          assert.equal(seen.refused.range, 0, "no log read asked for more than the provider's range");
          assert.ok(seen.refused.results > 0, "reads with too many results were split, not given up");
          assert.ok(seen.dropped.sockets > 0, "WebSockets were dropped mid-task");
          // The CLI reads through the same provider.
          const cli = [
            "--rpc",
            seen.url,
            "--relay",
            network.relayUrl,
            "--deployment",
            network.deploymentFile,
            "--json",
          ];
          const status = JSON.parse(await hydrogen(["task", "status", String(run.taskId), ...cli])) as {
            phase: string;
            nodes: string[];
          };
          assert.equal(status.nodes.length, 3);
          assert.notEqual(status.phase, "created");
          assert.ok(seen.refused.rateLimited > 0 && seen.refused.errors > 0, JSON.stringify(seen.refused));
        },
      );
    } finally {
      await provider?.close();
    }
  });
});

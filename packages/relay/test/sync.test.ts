import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildResult, createRelayClient, phashPng, taskHash, taskManagerAbi } from "@hydrogen/protocol";
import { type Chain, FEE, STAKE } from "@hydrogen/testnet";
import { type Address, encodeFunctionData, toHex, zeroHash } from "viem";
import type { Relay } from "../src/index.ts";
import { backends, type TestDatabase } from "./helpers/backends.ts";
import {
  createTask,
  patternPng,
  caughtUp as relayCaughtUp,
  relayClient,
  startChain,
  startTestRelay,
  succeed,
  taskArgs,
} from "./helpers/relay.ts";
import { relayState } from "./helpers/state.ts";

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const backend of await backends()) {
  describe(`chain following and retention (${backend.name})`, () => {
    let chain: Chain;
    let database: TestDatabase;
    let relay: Relay;

    before(async () => {
      chain = await startChain(12);
      database = await backend.create();
      relay = await startTestRelay(chain, database);
    });
    after(async () => {
      await relay?.close();
      await database?.drop();
      await chain?.stop();
    });

    const caughtUp = (r: Relay) => relayCaughtUp(r, chain);

    it("replaying every block, or restarting, leaves exactly the same state", async () => {
      const api = relayClient(relay, chain);
      // One task in each end state: open, completed (images uploaded and reported), aborted.
      const open = await createTask(chain, [patternPng(1)], 1);
      const done = await createTask(chain, [patternPng(2), patternPng(3)], 2);
      await api.waitForPhase(done.taskId, "created");
      await api.uploadArgs(chain.creator, done.taskId, done.args);
      await succeed(chain, done);
      await api.waitForPhase(done.taskId, "success");
      assert.equal((await api.uploadResults(done.nodes[0] as Address, done.taskId, done.images)).status, 200);
      await chain.tm.send(done.nodes[0] as Address, "reportResultsUploaded", done.taskId, 0);
      const aborted = await createTask(chain, [patternPng(4)], 4);
      const results = [4, 5, 6].map((v) => buildResult([phashPng(patternPng(v))]));
      for (let r = 0; r < 3; r++)
        await chain.commit(aborted.taskId, r, aborted.nodes[r] as Address, results[r] as `0x${string}`);
      for (let r = 0; r < 3; r++)
        await chain.disclose(aborted.taskId, r, aborted.nodes[r] as Address, results[r] as `0x${string}`);
      await api.waitForPhase(aborted.taskId, "aborted");
      await caughtUp(relay);
      const state = await relayState(relay, database.imageDir);
      assert.equal(state.tasks.length, 3);
      assert.equal(state.tasks.find((t) => t.task_id === open.taskId.toString())?.chain_phase, "created");
      assert.equal(state.tasks.find((t) => t.task_id === done.taskId.toString())?.chain_phase, "reported");
      assert.equal(state.disclosures.length, 6);

      // Rewind the cursor: the follower applies every log again.
      await relay.context.db
        .updateTable("cursors")
        .set({ block: chain.deployment.deploymentBlock - 1 })
        .execute();
      await caughtUp(relay);
      assert.deepEqual(await relayState(relay, database.imageDir), state);

      await relay.close();
      relay = await startTestRelay(chain, database);
      await chain.testClient.mine({ blocks: 2 });
      await caughtUp(relay);
      assert.deepEqual(await relayState(relay, database.imageDir), state);
    });

    it("a reorganisation: a task created again keeps its arguments, one whose id another task took is replaced", async () => {
      const api = relayClient(relay, chain);
      const reorg = (depth: number, txs: unknown[]) =>
        chain.testClient.request({ method: "anvil_reorg", params: [depth, txs] } as never);
      const row = async (taskId: bigint) =>
        relay.context.db.selectFrom("tasks").selectAll().where("task_id", "=", taskId.toString()).executeTakeFirst();
      const nodesOnChain = async (taskId: bigint) => {
        const logs = await chain.publicClient.getContractEvents({
          address: chain.tm.address,
          abi: taskManagerAbi,
          eventName: "TaskCreated",
          args: { taskId },
          fromBlock: 0n,
        });
        return [0, 1, 2].map((round) => logs.find((l) => l.args.round === round)?.args.selectedNode?.toLowerCase());
      };

      // 1. The block creating the task is replaced; the same transaction is mined one block later.
      const args = taskArgs(1, 31);
      const created = await chain.createTask(chain.creator, taskHash(args));
      await api.waitForPhase(created.taskId, "created");
      assert.equal((await api.uploadArgs(chain.creator, created.taskId, args)).status, 200);
      await chain.testClient.mine({ blocks: 1 });
      await caughtUp(relay);
      const raw = await chain.publicClient.request({
        method: "eth_getRawTransactionByHash",
        params: [created.receipt.transactionHash],
      });
      await reorg(2, [[raw, 1]]);
      await chain.testClient.mine({ blocks: 1 });
      await caughtUp(relay);
      const again = await row(created.taskId);
      assert.equal(again?.created_block, Number(created.receipt.blockNumber) + 1, "applied from its new block");
      assert.equal(again?.args, args, "the arguments uploaded for it are kept");
      assert.deepEqual([again?.node0, again?.node1, again?.node2], await nodesOnChain(created.taskId));
      await api.waitForPhase(created.taskId, "args_uploaded");

      // 2. Another application's task takes the id of one whose creation is replaced.
      await chain.fund(chain.creator2, 10n ** 20n);
      await chain.cnx.send(chain.creator2, "approve", chain.tm.address, 10n ** 20n);
      const first = taskArgs(1, 32);
      const lost = await chain.createTask(chain.creator, taskHash(first));
      await api.waitForPhase(lost.taskId, "created");
      assert.equal((await api.uploadArgs(chain.creator, lost.taskId, first)).status, 200);
      const other = taskArgs(1, 33);
      const data = encodeFunctionData({
        abi: taskManagerAbi,
        functionName: "createTask",
        args: [taskHash(other), zeroHash],
      });
      await reorg(1, [[{ from: chain.creator2, to: chain.tm.address, data, gas: toHex(1_500_000) }, 0]]);
      await chain.testClient.mine({ blocks: 1 });
      await caughtUp(relay);
      const taken = await row(lost.taskId);
      assert.equal(taken?.creator, chain.creator2.toLowerCase());
      assert.equal(taken?.task_hash, taskHash(other));
      assert.equal(taken?.args, null, "nothing of the replaced task is served for it");
      assert.deepEqual([taken?.node0, taken?.node1, taken?.node2], await nodesOnChain(lost.taskId));
      const refused = await api.uploadArgs(chain.creator2, lost.taskId, first);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "RELAY_TASK_HASH_MISMATCH");
      assert.equal((await api.uploadArgs(chain.creator2, lost.taskId, other)).status, 200);
      const metrics = await relay.context.metrics.registry.metrics();
      assert.match(metrics, /hydrogen_relay_reorgs_total 2/);
    });

    it("applies a log only once it has the configured confirmations", async () => {
      const other = await backend.create();
      const confirming = await startTestRelay(chain, other, {
        chain: { ...relay.context.config.chain, confirmations: 3 },
      });
      try {
        await caughtUp(confirming).catch(() => undefined);
        const task = await createTask(chain, [patternPng(7)], 7);
        const api = relayClient(confirming, chain);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal((await api.status(task.taskId)).status, 404, "not applied with 0 confirmations");
        await chain.testClient.mine({ blocks: 3 });
        await api.waitForPhase(task.taskId, "created");
      } finally {
        await confirming.close();
        await other.drop();
      }
    });

    it("deletes a task's data the configured time after it ends, and nothing of open tasks", async () => {
      await relay.close();
      relay = await startTestRelay(chain, database, { retention: { afterEndSeconds: 1, intervalSeconds: 0.2 } });
      const api = relayClient(relay, chain);
      const tasks = (await relay.context.db.selectFrom("tasks").selectAll().execute()).sort((a, b) =>
        Number(BigInt(a.task_id) - BigInt(b.task_id)),
      );
      const [open, done, aborted] = tasks.map((t) => BigInt(t.task_id));
      assert.ok(open && done && aborted);
      await until(
        async () => (await api.getTask(chain.creator, done)).status === 410,
        "the completed task to be purged",
      );
      await until(
        async () => (await api.image(chain.creator, aborted, 0)).status === 410,
        "the aborted task to be purged",
      );
      const gone = await api.image(chain.creator, done, 0);
      assert.equal(gone.status, 410);
      assert.equal(((await gone.json()) as { error: { code: string } }).error.code, "RELAY_TASK_ENDED");
      assert.equal(existsSync(join(database.imageDir, done.toString())), false, "image files deleted");
      const rows = await relay.context.db
        .selectFrom("images")
        .selectAll()
        .where("task_id", "=", done.toString())
        .execute();
      assert.deepEqual(rows, []);
      assert.equal(
        (
          await relay.context.db
            .selectFrom("disclosures")
            .selectAll()
            .where("task_id", "in", [done.toString(), aborted.toString()])
            .execute()
        ).length,
        0,
      );
      const status = (await (await api.status(done)).json()) as { phase: string };
      assert.equal(status.phase, "results_uploaded", "the status survives as a tombstone");
      // The open task keeps everything; replaying the chain does not bring purged data back.
      assert.equal(
        (
          await relay.context.db
            .selectFrom("tasks")
            .select("purged_at")
            .where("task_id", "=", open.toString())
            .executeTakeFirst()
        )?.purged_at,
        null,
      );
      await relay.context.db
        .updateTable("cursors")
        .set({ block: chain.deployment.deploymentBlock - 1 })
        .execute();
      await caughtUp(relay);
      assert.equal((await api.getTask(chain.creator, done)).status, 410);
      assert.equal(
        (await relay.context.db.selectFrom("disclosures").selectAll().where("task_id", "=", done.toString()).execute())
          .length,
        0,
      );
    });

    it("indexes nodes: stakes, payments, slashes and missed tasks with their reasons, recounted after a reorganisation", async () => {
      // A chain of its own: six nodes, all free.
      const chain = await startChain(6);
      const database = await backend.create();
      const relay = await startTestRelay(chain, database);
      try {
        await nodeIndexScenario(chain, relay);
      } finally {
        await relay.close();
        await database.drop();
        await chain.stop();
      }
    });
  });
}

/** The node index scenario, on a chain of six free nodes. */
async function nodeIndexScenario(chain: Chain, relay: Relay): Promise<void> {
  const caughtUp = (r: Relay) => relayCaughtUp(r, chain);
  const client = createRelayClient({ url: relay.url, chainId: 31337, taskManager: chain.tm.address });
  const good = buildResult([phashPng(patternPng(4))]);
  const bad = buildResult([phashPng(patternPng(5))]);
  // A: two nodes agree, the third disclosed another result (slashed); the result node reports.
  const a = await createTask(chain, [patternPng(4)], 41);
  const [a0, a1, a2] = a.nodes as [Address, Address, Address];
  for (const [round, result] of [good, good, bad].entries())
    await chain.commit(a.taskId, round, a.nodes[round] as Address, result);
  for (const [round, result] of [good, good, bad].entries())
    await chain.disclose(a.taskId, round, a.nodes[round] as Address, result);
  await chain.tm.send(a0, "reportResultsUploaded", a.taskId, 0);
  // B: one node commits and never discloses, two do nothing; the creator cancels after the deadline.
  const b = await createTask(chain, [patternPng(6)], 42);
  const [b0, b1] = b.nodes as [Address, Address, Address];
  await chain.commit(b.taskId, 0, b0, good);
  await chain.passDeadline();
  await chain.tm.send(chain.creator, "cancelTask", b.taskId);
  await caughtUp(relay);

  const slashed = await client.getNode(a2);
  assert.deepEqual(
    [slashed.status, slashed.stake, slashed.slashes, slashed.earned],
    ["Quit", "0", 1, "0"],
    "the odd node lost its stake and left",
  );
  const history = (await client.getNodeHistory(a2)).events;
  const slash = history.find((e) => e.kind === "slashed");
  assert.equal(slash?.task_id, a.taskId.toString());
  assert.equal(slash?.detail, "result_mismatch");
  assert.match(slash?.tx_hash ?? "", /^0x[0-9a-f]{64}$/);
  assert.equal(history.find((e) => e.kind === "stake_slashed")?.amount, STAKE.toString());
  assert.ok(!history.some((e) => e.detail === "Available>Busy"), "routine status flips are left out");
  for (const node of [a0, a1]) {
    const paid = await client.getNode(node);
    assert.ok(BigInt(paid.earned) >= FEE && paid.paid_tasks >= 1, `${node} paid`);
    assert.equal(paid.stake, STAKE.toString());
  }
  const missedOf = async (node: Address) =>
    (await client.getNodeHistory(node)).events.filter((e) => e.kind === "missed" && e.task_id === b.taskId.toString());
  assert.deepEqual(
    (await missedOf(b0)).map((e) => e.detail),
    ["no_disclosure"],
  );
  assert.deepEqual(
    (await missedOf(b1)).map((e) => e.detail),
    ["no_commitment"],
  );
  const before = await client.getNode(b1);
  assert.ok(before.missed >= 1);

  // Paged, bounded lists; statistics by status.
  const first = await client.listNodes({ limit: 5 });
  assert.equal(first.nodes.length, 5);
  const rest = await client.listNodes({ after: first.next, limit: 100 });
  assert.equal(first.nodes.length + rest.nodes.length, 6);
  assert.deepEqual(
    (await client.listNodes({ status: "Quit" })).nodes.map((n) => n.address),
    [a2.toLowerCase()],
  );
  assert.equal((await client.stats()).nodes?.Quit, 1);
  await assert.rejects(client.getNode(chain.creator2), { code: "RELAY_NODE_UNKNOWN" });
  const paged = await client.getNodeHistory(a0, { limit: 1 });
  assert.equal(paged.events.length, 1);
  assert.notDeepEqual((await client.getNodeHistory(a0, { before: paged.next, limit: 1 })).events, paged.events);

  // The cancellation's block is replaced: the missed tasks are counted again without it.
  await chain.testClient.request({ method: "anvil_reorg", params: [1, []] } as never);
  await chain.testClient.mine({ blocks: 1 });
  await caughtUp(relay);
  assert.equal((await client.getNode(b1)).missed, before.missed - 1);
  assert.deepEqual(await missedOf(b1), []);
  await chain.tm.send(chain.creator, "cancelTask", b.taskId);
  await caughtUp(relay);
  assert.deepEqual(await client.getNode(b1), { ...before, last_block: (await client.getNode(b1)).last_block });
}

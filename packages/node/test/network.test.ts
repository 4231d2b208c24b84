import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Network, startNetwork } from "@hydrogen/devnet";
import { phashPngHex, splitResult, stripPng, taskManagerAbi } from "@hydrogen/protocol";
import { devKey, FEE, ROLES, STAKE, Status } from "@hydrogen/testnet";
import type { Address, Hex } from "viem";
import { taskArgs } from "./helpers/args.ts";

describe("three node processes, a relay and anvil", () => {
  let net: Network;

  before(async () => {
    // Node 1 adds pixel noise: its pHashes must still match within the tolerance.
    net = await startNetwork({ nodeConfig: (i) => (i === 1 ? { engine: { kind: "synthetic", noise: 4 } } : {}) });
  });
  after(() => net?.stop());

  it("the nodes join by themselves on start, with a permit", async () => {
    for (const node of net.nodes) {
      assert.equal(await net.chain.status(node.address), Status.Available);
      assert.equal(await net.chain.registry.read("stakeOf", node.address), STAKE);
      const status = await node.status();
      assert.equal("status" in status.node && status.node.status, "Available");
      assert.equal(status.wallet, "environment");
    }
  });

  it("runs a task to success: every node is paid, the relay serves the images", async () => {
    const { taskId } = await net.createTask(taskArgs({ images: 3 }));
    const settled = await Promise.all(net.nodes.map((node) => net.settled(node, taskId)));
    for (const task of settled) {
      assert.equal(task.outcome, "paid", JSON.stringify(task));
      assert.equal(BigInt(task.paidWei), FEE);
    }
    const status = await net.creator.getTaskStatus(taskId);
    assert.equal(status.phase, "results_uploaded");
    const success = await net.chain.publicClient.getContractEvents({
      address: net.chain.tm.address,
      abi: taskManagerAbi,
      eventName: "TaskSuccess",
      args: { taskId },
      fromBlock: 0n,
    });
    const result = (success[0]?.args as { result: Hex } | undefined)?.result;
    assert.ok(result);
    const chunks = splitResult(result);
    for (let index = 0; index < 3; index++) {
      const png = await net.creator.getResultImage(taskId, index);
      assert.equal(phashPngHex(png), chunks[index]);
      // The synthetic engine writes a tEXt chunk, as ComfyUI does: the node strips it (spec §7).
      assert.deepEqual(stripPng(png), png);
    }
    for (const node of net.nodes) {
      assert.equal(await net.chain.status(node.address), Status.Available);
      const report = await node.status();
      assert.equal(report.earnings.earnedWei, FEE.toString());
      assert.ok(report.earnings.transactions >= 3, "join, commit and disclose at least");
      assert.equal(report.currentTasks.length, 0);
    }
  });

  it("runs tasks back to back, and keeps their history", async () => {
    const first = await net.createTask(taskArgs({ seed: 2, images: 1 }));
    await Promise.all(net.nodes.map((node) => net.settled(node, first.taskId)));
    const second = await net.createTask(taskArgs({ seed: 3, images: 1 }));
    await Promise.all(net.nodes.map((node) => net.settled(node, second.taskId)));
    const { body } = await net.node(0).api<{ tasks: { taskId: string; outcome: string }[] }>("/api/tasks");
    assert.deepEqual(
      body.tasks.slice(0, 3).map((t) => [t.taskId, t.outcome]),
      [
        [second.taskId.toString(), "paid"],
        [first.taskId.toString(), "paid"],
        ["1", "paid"],
      ],
    );
  });

  it("exposes Prometheus metrics: tasks by outcome, phase durations, transactions, follower lag", async () => {
    const response = await fetch(`${net.node(0).apiUrl}/metrics`);
    const text = await response.text();
    assert.match(text, /hydrogen_node_tasks_total\{outcome="paid"\} 3/);
    assert.match(text, /hydrogen_node_task_phase_seconds_count\{phase="executed"\} 3/);
    assert.match(text, /hydrogen_node_transactions_total\{function="submitTaskResultCommitment"\} 3/);
    assert.match(text, /hydrogen_node_follower_lag_blocks \d+/);
    assert.match(text, /hydrogen_node_gas_used_total \d+/);
  });

  it("pause and resume through the API change the on-chain status", async () => {
    const node = net.node(2);
    const paused = await node.api<{ status: string }>("/api/actions/pause", { method: "POST" });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.status, "Paused");
    const again = await node.api<{ error: { code: string; message: string } }>("/api/actions/pause", {
      method: "POST",
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "NODE_ACTION_REFUSED");
    assert.match(again.body.error.message, /CannotPause/);
    const resumed = await node.api<{ status: string }>("/api/actions/resume", { method: "POST" });
    assert.equal(resumed.body.status, "Available");
    const joined = await node.api<{ error: { code: string } }>("/api/actions/join", { method: "POST" });
    assert.equal(joined.status, 409);
    assert.equal(joined.body.error.code, "NODE_ALREADY_JOINED");
  });

  it("logs are served to the operator without the key", async () => {
    const node = net.node(0);
    const { body } = await node.api<{ logs: { msg: string }[] }>("/api/logs?limit=500");
    assert.ok(body.logs.some((l) => l.msg === "task settled"));
    const key = devKey(ROLES.firstNode).slice(2);
    assert.ok(!node.service.text().includes(key), "the private key never appears in the logs");
    assert.ok(!JSON.stringify(body).includes(key));
  });

  it("refuses API calls without the bearer token", async () => {
    const node = net.node(0);
    for (const path of ["/api/status", "/api/tasks", "/api/logs"]) {
      const response = await fetch(`${node.apiUrl}${path}`);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "NODE_API_UNAUTHORIZED");
    }
    const wrong = await fetch(`${node.apiUrl}/api/status`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
    const quit = await fetch(`${node.apiUrl}/api/actions/quit`, { method: "POST" });
    assert.equal(quit.status, 401);
    assert.equal(await net.chain.status(node.address as Address), Status.Available);
    const page = await fetch(`${node.apiUrl}/`);
    assert.match(await page.text(), /<title>Hydrogen node<\/title>/);
  });
});

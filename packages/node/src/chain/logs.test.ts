import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { taskManagerAbi } from "@hydrogen/protocol";
import { type Chain, setupChain } from "@hydrogen/testnet";
import { type Address, type PublicClient, parseEventLogs, toHex } from "viem";
import { nodeLogFilters, nodeLogReader } from "./logs.ts";

describe("nodeLogReader", () => {
  let chain: Chain;
  before(async () => {
    chain = await setupChain({ accounts: 12 });
    await chain.joinNodes(8);
  });
  after(() => chain.stop());

  const read = (node: Address, running: bigint[], fromBlock: bigint, toBlock: bigint) =>
    nodeLogReader(chain.publicClient as PublicClient, chain.tm.address, node, () => running)({ fromBlock, toBlock });
  const tasksOf = (logs: Awaited<ReturnType<typeof read>>) => [
    ...new Set(parseEventLogs({ abi: taskManagerAbi, logs }).map((e) => (e.args as { taskId: bigint }).taskId)),
  ];

  it("reads the node's selections and every log of those tasks and of its running ones, nothing else", async () => {
    const from = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const first = await chain.createTask();
    const second = await chain.createTask();
    const me = first.nodes[0] as Address;
    // Progress on the first task, in later blocks of the range: the reader must bring it too.
    const result = "0x0102030405060708";
    await chain.commit(first.taskId, 0, me, result);
    const to = await chain.publicClient.getBlockNumber({ cacheTime: 0 });

    const mine = await read(me, [], from + 1n, to);
    // A busy node is not drawn again: the second task is other nodes'.
    assert.deepEqual(tasksOf(mine), [first.taskId]);
    const names = parseEventLogs({ abi: taskManagerAbi, logs: mine })
      .filter((e) => (e.args as { taskId: bigint }).taskId === first.taskId)
      .map((e) => e.eventName);
    assert.deepEqual(names, ["TaskCreated", "TaskCreated", "TaskCreated", "TaskResultCommitmentSubmitted"]);

    // Of 8 nodes, 6 are busy: a node selected for neither task reads nothing; given a running task, it reads that task's logs.
    const outsider = chain.nodes.find((n) => !first.nodes.includes(n) && !second.nodes.includes(n)) as Address;
    assert.deepEqual(await read(outsider, [], from + 1n, to), []);
    assert.deepEqual(tasksOf(await read(outsider, [second.taskId], from + 1n, to)), [second.taskId]);
  });
});

describe("nodeLogFilters", () => {
  let chain: Chain;
  before(async () => {
    chain = await setupChain({ accounts: 8 });
    await chain.joinNodes(3);
  });
  after(() => chain.stop());

  it("match the node's selections and its tasks' actionable events, not each commitment", async () => {
    const from = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const task = await chain.createTask();
    const me = task.nodes[0] as Address;
    for (const [round, node] of task.nodes.entries())
      await chain.commit(task.taskId, round, node as Address, "0x0102030405060708");
    const to = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    // eth_getLogs takes the same filters as eth_subscribe("logs").
    const matched = async (running: bigint[]) => {
      const names: string[] = [];
      for (const topics of nodeLogFilters(me, () => running)()) {
        const logs = await chain.publicClient.request({
          method: "eth_getLogs",
          params: [{ address: chain.tm.address, fromBlock: toHex(from + 1n), toBlock: toHex(to), topics }],
        } as never);
        names.push(...parseEventLogs({ abi: taskManagerAbi, logs: logs as never }).map((e) => e.eventName));
      }
      return names;
    };
    assert.deepEqual(await matched([]), ["TaskCreated"], "its own selection only");
    assert.deepEqual(await matched([task.taskId]), ["TaskCreated", "TaskResultCommitmentsReady"]);
  });
});

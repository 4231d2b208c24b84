import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deployHydrogen } from "@hydrogen/deploy";
import { cnxAbi, type Deployment, nodeRegistryAbi, taskManagerAbi } from "@hydrogen/protocol";
import { type Anvil, startAnvil } from "@hydrogen/testnet";
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  custom,
  getAddress,
  type Hex,
  hexToBytes,
  http,
  maxUint256,
  type PublicClient,
  pad,
  parseEventLogs,
  toHex,
  zeroHash,
} from "viem";
import { foundry } from "viem/chains";
import { bloomMayContain } from "./bloom.ts";
import { ChainFollower, type LogBatch } from "./follower.ts";

/** A consumer as the relay will be: applies each log once, keyed by (block, log index), and stores the cursor with it. */
function memoryConsumer() {
  const applied = new Map<string, string>();
  const blocks = new Map<bigint, Hex>();
  let cursor: bigint | undefined;
  const batches: LogBatch[] = [];
  return {
    applied,
    batches,
    blocks,
    get cursor() {
      return cursor;
    },
    set cursor(value) {
      cursor = value;
    },
    loadCursor: async () => cursor,
    loadBlocks: async () => [...blocks].map(([number, hash]) => ({ number, hash })),
    apply: async (batch: LogBatch) => {
      batches.push(batch);
      for (const e of parseEventLogs({ abi: taskManagerAbi, logs: batch.logs })) {
        applied.set(`${e.blockNumber}:${e.logIndex}`, e.eventName);
      }
      for (const ref of batch.blocks) blocks.set(ref.number, ref.hash);
      for (const number of blocks.keys()) if (number < batch.forgetBelow) blocks.delete(number);
      cursor = batch.toBlock;
    },
    rollback: async (ancestor: bigint) => {
      for (const key of applied.keys()) if (BigInt(key.split(":")[0] as string) > ancestor) applied.delete(key);
      for (const number of blocks.keys()) if (number > ancestor) blocks.delete(number);
      cursor = ancestor;
    },
  };
}

describe("ChainFollower", () => {
  let anvil: Anvil;
  let client: PublicClient;
  let deployment: Deployment;
  let tasks = 0;

  async function createTask() {
    const wallet = createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const [deployer] = await wallet.getAddresses();
    const hash = await wallet.writeContract({
      address: deployment.contracts.TaskManager,
      abi: taskManagerAbi,
      functionName: "createTask",
      args: [zeroHash, zeroHash],
      account: deployer as Address,
      chain: foundry,
      gas: 400_000n,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success", "createTask reverted");
    tasks++;
  }

  before(async () => {
    anvil = await startAnvil({ args: ["--silent", "--accounts", "45"] });
    client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const wallet = createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const accounts = (await wallet.getAddresses()).map((a) => getAddress(a));
    const [deployer, pool] = accounts as [Address, Address];
    deployment = await deployHydrogen(
      createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl), account: deployer }),
      client,
      {
        incentivePool: pool,
      },
    );
    const { CNX, NodeRegistry, TaskManager } = deployment.contracts;
    const send = async (
      account: Address,
      address: Address,
      abi: readonly unknown[],
      functionName: string,
      args: unknown[],
    ) => {
      const hash = await wallet.writeContract({ address, abi, functionName, args, account, chain: foundry } as never);
      await client.waitForTransactionReceipt({ hash });
    };
    for (const node of accounts.slice(2, 45)) {
      await send(deployer, CNX, cnxAbi, "transfer", [node, 400n * 10n ** 18n]);
      await send(node, CNX, cnxAbi, "approve", [NodeRegistry, maxUint256]);
      await send(node, NodeRegistry, nodeRegistryAbi, "join", []);
    }
    await send(deployer, CNX, cnxAbi, "approve", [TaskManager, maxUint256]);
    await createTask();
    await createTask();
  });
  after(() => anvil.stop());

  const options = () => ({ address: deployment.contracts.TaskManager, fromBlock: BigInt(deployment.deploymentBlock) });

  it("applies every TaskManager log once, in (block, log index) order, from the deployment block", async () => {
    const consumer = memoryConsumer();
    const follower = new ChainFollower(options(), { client, ...consumer });
    while (!(await follower.step())) {}
    const created = [...consumer.applied.values()].filter((name) => name === "TaskCreated");
    assert.equal(created.length, 3 * tasks);
    const order = consumer.batches.flatMap((b) => b.logs.map((l) => [l.blockNumber, l.logIndex] as const));
    const sorted = [...order].sort((a, b) =>
      a[0] === b[0] ? Number((a[1] ?? 0) - (b[1] ?? 0)) : Number((a[0] ?? 0n) - (b[0] ?? 0n)),
    );
    assert.deepEqual(order, sorted);
    assert.equal(consumer.cursor, await client.getBlockNumber({ cacheTime: 0 }));
    assert.equal(follower.status().lag, 0n);
  });

  it("a restart resumes from the stored cursor, and a replayed range yields the same logs", async () => {
    const consumer = memoryConsumer();
    const first = new ChainFollower(options(), { client, ...consumer });
    while (!(await first.step())) {}
    const before = new Map(consumer.applied);
    await createTask();
    const restarted = new ChainFollower(options(), { client, ...consumer });
    while (!(await restarted.step())) {}
    assert.equal(consumer.applied.size, before.size + 3, "only the new task's 3 TaskCreated logs");
    // Replay everything from the start: same logs, same state.
    const firstRun = consumer.batches.flatMap((b) => b.logs.map((l) => `${l.blockNumber}:${l.logIndex}:${l.data}`));
    const snapshot = new Map(consumer.applied);
    consumer.cursor = undefined;
    consumer.batches.length = 0;
    const replay = new ChainFollower(options(), { client, ...consumer });
    while (!(await replay.step())) {}
    assert.deepEqual(consumer.applied, snapshot);
    assert.deepEqual(
      consumer.batches.flatMap((b) => b.logs.map((l) => `${l.blockNumber}:${l.logIndex}:${l.data}`)),
      firstRun,
    );
  });

  it("waits for confirmations before applying a block", async () => {
    const consumer = memoryConsumer();
    const follower = new ChainFollower({ ...options(), confirmations: 3 }, { client, ...consumer });
    while (!(await follower.step())) {}
    const head = await client.getBlockNumber({ cacheTime: 0 });
    assert.equal(consumer.cursor, head - 3n);
    await createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) }).mine({ blocks: 3 });
    while (!(await follower.step())) {}
    assert.equal(consumer.cursor, head);
  });

  it("shrinks its range when the RPC refuses large ones, and still reads everything", async () => {
    const limit = 3n;
    let refused = 0;
    const upstream = http(anvil.rpcUrl)({ chain: foundry });
    const picky = createPublicClient({
      chain: foundry,
      transport: custom(
        {
          async request({ method, params }) {
            if (method === "eth_getLogs") {
              const [filter] = params as [{ fromBlock: string; toBlock: string }];
              if (BigInt(filter.toBlock) - BigInt(filter.fromBlock) + 1n > limit) {
                refused++;
                throw new Error("block range too large");
              }
            }
            return upstream.request({ method, params } as never);
          },
        },
        { retryCount: 0 },
      ),
    });
    const consumer = memoryConsumer();
    const follower = new ChainFollower({ ...options(), maxRange: 64n }, { client: picky, ...consumer });
    for (let i = 0; i < 200; i++) {
      try {
        if (await follower.step()) break;
      } catch {
        // refused: the next step uses half the range
      }
    }
    assert.ok(refused > 0);
    assert.ok(follower.status().range <= 64n);
    assert.equal(consumer.cursor, await client.getBlockNumber({ cacheTime: 0 }));
    const reference = memoryConsumer();
    const plain = new ChainFollower(options(), { client, ...reference });
    while (!(await plain.step())) {}
    assert.deepEqual(consumer.applied, reference.applied);
  });

  it("run() follows new blocks as they come and stops on abort", async () => {
    const consumer = memoryConsumer();
    const follower = new ChainFollower({ ...options(), pollIntervalMs: 50 }, { client, ...consumer });
    const controller = new AbortController();
    const running = follower.run(controller.signal);
    await createTask();
    const target = await client.getBlockNumber({ cacheTime: 0 });
    for (let i = 0; i < 200 && (consumer.cursor ?? 0n) < target; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(consumer.cursor, target);
    controller.abort();
    await running;
  });

  it("with a WebSocket URL, a new block wakes run() long before its poll interval", async () => {
    const consumer = memoryConsumer();
    const follower = new ChainFollower(
      { ...options(), pollIntervalMs: 3_600_000, wsUrl: anvil.rpcUrl.replace("http", "ws") },
      { client, ...consumer },
    );
    while (!(await follower.step())) {}
    const controller = new AbortController();
    const running = follower.run(controller.signal);
    // Let the first pass go idle, so only the subscription can wake it.
    await new Promise((r) => setTimeout(r, 200));
    await createTask();
    const target = await client.getBlockNumber({ cacheTime: 0 });
    for (let i = 0; i < 400 && (consumer.cursor ?? 0n) < target; i++) await new Promise((r) => setTimeout(r, 25));
    controller.abort();
    await running;
    assert.equal(consumer.cursor, target, "woken by the newHeads subscription, not by the hour-long poll");
    const head = follower.latestHead();
    assert.equal(head?.number, target, "the announced head is kept, with its time");
    assert.equal(head?.timestamp, (await client.getBlock({ blockNumber: target })).timestamp);
  });

  it("is not woken by blocks whose bloom rules out the relevant topics, and reads those that may hold one", async () => {
    let getLogs = 0;
    const upstream = http(anvil.rpcUrl)({ chain: foundry });
    const counting = createPublicClient({
      chain: foundry,
      transport: custom({
        async request({ method, params }) {
          if (method === "eth_getLogs") getLogs++;
          return upstream.request({ method, params } as never);
        },
      }),
    });
    const consumer = memoryConsumer();
    let topics: Hex[] = [pad("0x00000000000000000000000000000000000000aa")];
    const follower = new ChainFollower(
      { ...options(), pollIntervalMs: 3_600_000, wsUrl: anvil.rpcUrl.replace("http", "ws") },
      { client: counting, ...consumer, relevantTopics: () => topics },
    );
    while (!(await follower.step())) {}
    const controller = new AbortController();
    const running = follower.run(controller.signal);
    const follow = async () => {
      const target = await client.getBlockNumber({ cacheTime: 0 });
      for (let i = 0; i < 400 && (consumer.cursor ?? 0n) < target; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(consumer.cursor, target);
    };
    await new Promise((r) => setTimeout(r, 200));
    try {
      const before = { reads: getLogs, applied: consumer.applied.size, cursor: consumer.cursor };
      await createTask();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(getLogs, before.reads, "a task for other nodes is not read");
      assert.equal(consumer.cursor, before.cursor, "nor does its block wake the follower");

      // Now the next task is one of this consumer's: its block is read.
      const [last] = parseEventLogs({
        abi: taskManagerAbi,
        eventName: "TaskCreated",
        logs: await client.getLogs({ address: deployment.contracts.TaskManager, fromBlock: 0n }),
      }).slice(-1);
      assert.ok(last);
      topics = [toHex(last.args.taskId + 1n, { size: 32 })];
      await createTask();
      await follow();
      assert.equal(getLogs, before.reads + 1, "a block naming a relevant topic is read, with those before it");
      assert.equal(consumer.applied.size, before.applied + 6, "both tasks' three TaskCreated logs");
    } finally {
      controller.abort();
      await running;
    }
  });

  it("with log filters, only a block holding a matching log wakes it; that log's block is the head until a read passes it", async () => {
    const consumer = memoryConsumer();
    const lastTaskId = async () => {
      const created = parseEventLogs({
        abi: taskManagerAbi,
        eventName: "TaskCreated",
        logs: await client.getLogs({ address: deployment.contracts.TaskManager, fromBlock: 0n }),
      });
      return created.at(-1)?.args.taskId ?? 0n;
    };
    // The filter names the task after next: the next one is other nodes' business.
    const watched = (await lastTaskId()) + 2n;
    const follower = new ChainFollower(
      { ...options(), pollIntervalMs: 3_600_000, wsUrl: anvil.rpcUrl.replace("http", "ws") },
      { client, ...consumer, logFilters: () => [[null, toHex(watched, { size: 32 })]] },
    );
    while (!(await follower.step())) {}
    const controller = new AbortController();
    const running = follower.run(controller.signal);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = consumer.cursor;
      await createTask();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(consumer.cursor, before, "a block without a matching log does not wake it");
      await createTask();
      assert.equal(await lastTaskId(), watched);
      const target = await client.getBlockNumber({ cacheTime: 0 });
      for (let i = 0; i < 400 && (consumer.cursor ?? 0n) < target; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(consumer.cursor, target, "the matching log woke it long before its poll interval");
      const head = follower.latestHead();
      assert.equal(head?.number, target);
      assert.equal(head?.timestamp, (await client.getBlock({ blockNumber: target })).timestamp);

      // Blocks nobody announces are read when a reader asks; a read past the last notification
      // makes that head too old to stand for the chain.
      await createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) }).mine({ blocks: 2 });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(consumer.cursor, target, "empty blocks wake nobody");
      follower.requestStep();
      for (let i = 0; i < 400 && (consumer.cursor ?? 0n) < target + 2n; i++)
        await new Promise((r) => setTimeout(r, 25));
      assert.equal(consumer.cursor, target + 2n);
      assert.equal(follower.latestHead(), undefined);
    } finally {
      controller.abort();
      await running;
    }
  });

  it("a reorganisation deeper than the confirmations is rolled back to the common ancestor and re-applied", async () => {
    const testClient = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    const consumer = memoryConsumer();
    const reorgs: { ancestor: bigint; cursor: bigint }[] = [];
    const follower = new ChainFollower(
      { ...options(), confirmations: 1 },
      { client, ...consumer, onReorg: (reorg) => reorgs.push(reorg) },
    );
    await createTask();
    const forkPoint = await client.getBlockNumber({ cacheTime: 0 });
    await createTask();
    await createTask();
    await testClient.mine({ blocks: 1 });
    while (!(await follower.step())) {}
    const applied = new Map(consumer.applied);
    assert.equal(consumer.cursor, forkPoint + 2n, "both tasks after the fork point are applied");
    assert.ok([...applied.keys()].some((key) => BigInt(key.split(":")[0] as string) > forkPoint));

    // The last three blocks (the two tasks and the empty one) are replaced by empty blocks.
    await testClient.request({ method: "anvil_reorg", params: [3, []] } as never);
    await testClient.mine({ blocks: 1 });
    while (!(await follower.step())) {}
    assert.equal(reorgs.length, 1);
    assert.equal(reorgs[0]?.cursor, forkPoint + 2n);
    assert.ok((reorgs[0]?.ancestor ?? 0n) <= forkPoint, "rolled back to a block the chain still holds");
    const reference = memoryConsumer();
    const fresh = new ChainFollower({ ...options(), confirmations: 1 }, { client, ...reference });
    while (!(await fresh.step())) {}
    assert.deepEqual(consumer.applied, reference.applied, "the replaced blocks' logs are gone, the rest stay");
    assert.ok(![...consumer.applied.keys()].some((key) => BigInt(key.split(":")[0] as string) > forkPoint));
    assert.equal(consumer.cursor, reference.cursor);
  });

  it("refuses to guess when the chain replaced more blocks than it keeps hashes of", async () => {
    const testClient = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    const consumer = memoryConsumer();
    const follower = new ChainFollower({ ...options(), reorgWindow: 1 }, { client, ...consumer });
    await createTask();
    while (!(await follower.step())) {}
    for (const number of consumer.blocks.keys()) if (number < (consumer.cursor ?? 0n)) consumer.blocks.delete(number);
    await testClient.request({ method: "anvil_reorg", params: [2, []] } as never);
    await testClient.mine({ blocks: 1 });
    const cursor = consumer.cursor;
    await assert.rejects(follower.step(), (error: Error) => error.name === "ReorgTooDeepError");
    assert.equal(consumer.cursor, cursor, "nothing was rolled back or applied");
  });

  it("bloomMayContain finds every address and topic of a block's logs", async () => {
    const logs = await client.getLogs({ address: deployment.contracts.TaskManager, fromBlock: 0n });
    const log = logs.at(-1);
    assert.ok(log?.blockNumber !== undefined);
    const block = await client.getBlock({ blockNumber: log.blockNumber });
    const bloom = hexToBytes(block.logsBloom as Hex);
    for (const l of logs.filter((x) => x.blockNumber === log.blockNumber)) {
      assert.ok(bloomMayContain(bloom, l.address));
      for (const topic of l.topics) assert.ok(bloomMayContain(bloom, topic as Hex));
    }
    const absent = Array.from({ length: 50 }, (_, i) => pad(toHex(1_000_000 + i)));
    assert.ok(absent.filter((topic) => bloomMayContain(bloom, topic)).length < 5, "a bloom is not all ones");
  });
});

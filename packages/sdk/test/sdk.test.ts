import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Devnet, devAccount, ROLES } from "@hydrogen/devnet";
import { cnxAbi, hammingDistance, phashPngHex, taskHash, taskManagerAbi } from "@hydrogen/protocol";
import { samplePng } from "@hydrogen/protocol/png-writer";
import { type Address, createPublicClient, createTestClient, createWalletClient, custom, http, webSocket } from "viem";
import { foundry } from "viem/chains";
import {
  ContractRevertedError,
  cancelTask,
  createHydrogenClient,
  createTask,
  downloadImages,
  getNetworkStats,
  getNodeStatus,
  getRelayNode,
  getRelayStats,
  getTask,
  getTaskArgs,
  ImageMismatchError,
  InsufficientAllowanceError,
  InsufficientCnxError,
  InvalidTaskArgsError,
  listRelayNodes,
  listRelayTasks,
  NoAccountError,
  NotEnoughNodesError,
  type RunTaskPhase,
  runTask,
  type StoredSession,
  TaskAbortedError,
  TaskArgsTooLargeError,
  TaskNotFoundError,
  TimeoutError,
  uploadTaskArgs,
  waitForTask,
  watchTaskPhases,
} from "../src/index.ts";
import { subscribeTaskLogs } from "../src/subscription.ts";
import { clientFor, nodeAction, passTime, RELAY_ARGS_BYTES, smallArgs, startTestDevnet, waitIdle } from "./helpers.ts";

/** The account's CNX balance. */
async function cnxBalance(client: ReturnType<typeof clientFor>): Promise<bigint> {
  return (await client.publicClient.readContract({
    address: client.contracts.CNX,
    abi: cnxAbi,
    functionName: "balanceOf",
    args: [client.walletClient?.account?.address as `0x${string}`],
  })) as bigint;
}

describe("SDK against a devnet", () => {
  let devnet: Devnet;
  before(async () => {
    devnet = await startTestDevnet();
  });
  after(async () => {
    await devnet?.close();
  });

  it("runs a task end to end: phases in order, every image verified against the chain", async () => {
    const client = clientFor(devnet, ROLES.app);
    const phases: RunTaskPhase[] = [];
    const run = await runTask(client, { args: smallArgs(7, 3), onProgress: ({ phase }) => phases.push(phase) });
    assert.deepEqual(phases, ["created", "argsUploaded", "executing", "committed", "disclosed", "success", "images"]);
    assert.equal(run.images.length, 3);
    for (const image of run.images) {
      assert.ok(image.distance <= 5, `image ${image.index} is ${image.distance} bits away`);
      assert.equal(
        hammingDistance(image.phash, `0x${run.result.slice(2 + image.index * 16, 18 + image.index * 16)}`),
        image.distance,
      );
    }
    assert.ok(run.gasUsed > 0n);
    const task = await getTask(client, { taskId: run.taskId });
    assert.ok(task.phase === "Completed" || task.phase === "Success", task.phase);
    assert.deepEqual(new Set(task.nodes), new Set(run.created.nodes));
  });

  it("a browser wallet (EIP-1193) signs one relay session, not each request or retry", async () => {
    const prompts: string[] = [];
    const stored: StoredSession[] = [];
    const upstream = http(devnet.rpcUrl)({ chain: foundry });
    // An injected wallet: the devnet account, unlocked in anvil; every signature is a prompt.
    const wallet = custom({
      async request({ method, params }) {
        if (method.startsWith("eth_sign") || method === "personal_sign") prompts.push(method);
        return upstream.request({ method, params } as never);
      },
    });
    const account = devAccount(ROLES.app).address;
    const client = createHydrogenClient({
      publicClient: createPublicClient({ chain: foundry, transport: http(devnet.rpcUrl) }),
      walletClient: createWalletClient({ account, chain: foundry, transport: wallet }),
      deployment: devnet.deployment,
      relayUrl: devnet.relayUrl,
      pollingIntervalMs: 100,
      sessions: { store: { load: () => stored.at(-1), save: (session) => void stored.push(session) } },
    });
    const first = await runTask(client, { args: smallArgs(61, 2), payment: "approve" });
    const second = await runTask(client, { args: smallArgs(62, 2), payment: "approve" });
    await downloadImages(client, { taskId: first.taskId });
    assert.equal(second.images.length, 2);
    assert.deepEqual(prompts, ["eth_signTypedData_v4"], "one session signature for every upload and download");
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.account, account);
    // A page loaded again with the stored session asks nothing.
    const reloaded = createHydrogenClient({
      publicClient: createPublicClient({ chain: foundry, transport: http(devnet.rpcUrl) }),
      walletClient: createWalletClient({ account, chain: foundry, transport: wallet }),
      deployment: devnet.deployment,
      relayUrl: devnet.relayUrl,
      sessions: { store: { load: () => stored.at(-1), save: (session) => void stored.push(session) } },
    });
    await downloadImages(reloaded, { taskId: second.taskId });
    assert.equal(prompts.length, 1);
  });

  it("follows a task's phases over the relay's stream, and finds it in the relay's index", async () => {
    const client = clientFor(devnet, ROLES.app);
    const created = await createTask(client, { args: smallArgs(71, 1) });
    const phases: string[] = [];
    const watching = watchTaskPhases(client, { taskId: created.taskId, onPhase: ({ phase }) => phases.push(phase) });
    await uploadTaskArgs(client, created);
    const last = await watching;
    assert.equal(last?.phase, "results_uploaded");
    assert.ok(["created", "args_uploaded"].includes(phases[0] as string), phases.join());
    assert.deepEqual(phases, [...new Set(phases)]);
    const page = await listRelayTasks(client, { creator: devAccount(ROLES.app).address, limit: 100 });
    const indexed = page.tasks.find((t) => t.task_id === created.taskId.toString());
    assert.equal(indexed?.phase, "results_uploaded");
    assert.deepEqual(
      indexed?.nodes,
      created.nodes.map((n) => n.toLowerCase()),
    );
    assert.ok((await getRelayStats(client)).tasks >= page.tasks.length);
    // Its arguments back from the relay, checked against the task hash (a "remix").
    const args = await getTaskArgs(client, { taskId: created.taskId });
    assert.deepEqual(args.task_config.seed, smallArgs(71, 1).task_config.seed);
    // The nodes that ran it, as the index sums them up: staked, paid for this task.
    const { node, events } = await getRelayNode(client, { address: created.nodes[0] as Address, limit: 100 });
    assert.ok(BigInt(node.stake) > 0n && BigInt(node.earned) > 0n, JSON.stringify(node));
    assert.ok(events.some((e) => e.kind === "paid" && e.task_id === created.taskId.toString()));
    const listed = await listRelayNodes(client, { limit: 100 });
    assert.ok(created.nodes.every((n) => listed.nodes.some((l) => l.address === n.toLowerCase())));
  });

  it("validates the arguments before sending anything", async () => {
    const client = clientFor(devnet, ROLES.app);
    const before = await getNetworkStats(client);
    await assert.rejects(
      createTask(client, { args: { ...smallArgs(), colour: "blue" } as never }),
      (error: unknown) =>
        error instanceof InvalidTaskArgsError && error.code === "SDK_INVALID_TASK_ARGS" && /colour/.test(error.message),
    );
    await assert.rejects(createTask(client, { args: '{"prompt": ' }), InvalidTaskArgsError);
    // A field over its bound: the field and the bound are in the message.
    await assert.rejects(
      createTask(client, { args: { ...smallArgs(), prompt: "x".repeat(20_001) } }),
      (error: unknown) =>
        error instanceof InvalidTaskArgsError && /prompt must NOT have more than 20000 characters/.test(error.message),
    );
    // Valid, but more than this relay publishes it takes (GET /v1/limits).
    const balance = await cnxBalance(client);
    const heavy = { ...smallArgs(), prompt: "\u0001x".repeat(6_000), negative_prompt: "\u0001".repeat(6_000) };
    await assert.rejects(createTask(client, { args: heavy }), (error: unknown) => {
      assert.ok(error instanceof TaskArgsTooLargeError, String(error));
      assert.equal(error.code, "SDK_TASK_ARGS_TOO_LARGE");
      assert.equal(error.limit, RELAY_ARGS_BYTES);
      assert.equal(error.largestField.path, "prompt");
      assert.match(error.message, /takes at most 65536 .* largest field is prompt/);
      return true;
    });
    assert.equal(await cnxBalance(client), balance, "nothing paid");
    assert.equal((await getNetworkStats(client)).tasks.total, before.tasks.total);
  });

  it("needs a wallet to create a task", async () => {
    await assert.rejects(createTask(clientFor(devnet, undefined), { args: smallArgs() }), NoAccountError);
  });

  it("refuses with InsufficientCnxError when the creator cannot pay", async () => {
    const poor = clientFor(devnet, ROLES.incentivePool);
    await assert.rejects(createTask(poor, { args: smallArgs() }), (error: unknown) => {
      assert.ok(error instanceof InsufficientCnxError);
      assert.equal(error.balance, 0n);
      assert.equal(error.required, 30n * 10n ** 18n);
      return true;
    });
  });

  it("decodes a missing allowance into InsufficientAllowanceError (nothing spent)", async () => {
    const client = clientFor(devnet, ROLES.burner);
    await assert.rejects(createTask(client, { args: smallArgs(), payment: "allowance" }), (error: unknown) => {
      assert.ok(error instanceof InsufficientAllowanceError);
      assert.equal(error.allowance, 0n);
      return true;
    });
  });

  it("pays with approve + createTask when asked to", async () => {
    const client = clientFor(devnet, ROLES.burner);
    const created = await createTask(client, { args: smallArgs(11, 1), payment: "approve" });
    await uploadTaskArgs(client, created);
    const outcome = await waitForTask(client, { taskId: created.taskId, fromBlock: created.blockNumber });
    assert.equal(outcome.result.length, 2 + 16);
    const images = await downloadImages(client, { taskId: created.taskId });
    assert.equal(images.length, 1);
  });

  it("over a WebSocket, the task's own logs wake waitForTask (the poll alone would not within the test)", {
    timeout: 60_000,
  }, async () => {
    const socket = webSocket(devnet.rpcUrl.replace(/^http/, "ws"), { reconnect: false });
    const client = clientFor(devnet, ROLES.app, { transport: socket, pollingIntervalMs: 3_600_000 });
    try {
      const created = await createTask(client, { args: smallArgs(13, 1) });
      await uploadTaskArgs(client, created);
      // The first read finds nothing yet (the nodes need several blocks); only a log can wake it.
      const outcome = await waitForTask(client, { taskId: created.taskId, fromBlock: created.blockNumber });
      assert.equal(outcome.result.length, 2 + 16);
    } finally {
      await (await socket({ chain: foundry }).value?.getRpcClient())?.close();
    }
  });

  it("subscribes to a task's logs only where the transport can", async () => {
    assert.equal(await subscribeTaskLogs(clientFor(devnet, ROLES.app), 1n, () => {}), undefined);
  });

  it("decodes NotEnoughAvailableNodes into NotEnoughNodesError (retryable)", async () => {
    const client = clientFor(devnet, ROLES.app);
    await waitIdle(client, devnet);
    await nodeAction(devnet, 0, "pause");
    try {
      await assert.rejects(createTask(client, { args: smallArgs() }), (error: unknown) => {
        assert.ok(error instanceof NotEnoughNodesError);
        assert.equal(error.retryable, true);
        assert.equal(error.available, 2n);
        return true;
      });
    } finally {
      await nodeAction(devnet, 0, "resume");
    }
    const node = await getNodeStatus(client, { node: devnet.nodes[0]?.address as `0x${string}` });
    assert.equal(node.status, "Available");
    assert.equal(node.stake, BigInt(devnet.deployment.parameters.stakeAmount));
  });

  it("decodes a createTask that passed its estimate but reverted when mined (the nodes were taken meanwhile)", async () => {
    const first = clientFor(devnet, ROLES.app);
    const second = clientFor(devnet, ROLES.burner);
    await waitIdle(first, devnet);
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(devnet.rpcUrl) });
    await test.setAutomine(false);
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      const both = Promise.allSettled([
        createTask(first, { args: smallArgs(31) }),
        createTask(second, { args: smallArgs(32) }),
      ]);
      // Both estimates see 3 free nodes; then one block holds both transactions.
      for (let i = 0; i < 200; i++) {
        const pending = await first.publicClient.getBlock({ blockTag: "pending" });
        if (pending.transactions.length === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await test.mine({ blocks: 1 });
      outcomes = await both;
    } finally {
      await test.setAutomine(true);
    }
    const failed = outcomes.filter((o) => o.status === "rejected");
    assert.equal(failed.length, 1, "the second transaction of the block found no free node");
    const reason = (failed[0] as PromiseRejectedResult).reason;
    assert.ok(reason instanceof NotEnoughNodesError, `got ${reason}`);
    assert.equal(reason.available, 0n);
    assert.equal(reason.retryable, true);
    // Let the created task finish, for the tests after this one.
    const winner = outcomes[0]?.status === "fulfilled" ? 0 : 1;
    const creator = [first, second][winner] as typeof first;
    const created = (outcomes[winner] as PromiseFulfilledResult<{ taskId: bigint; taskArgs: string }>).value;
    await uploadTaskArgs(creator, { taskId: created.taskId, taskArgs: created.taskArgs });
    await waitForTask(creator, { taskId: created.taskId });
    await waitIdle(first, devnet);
  });

  it("rejects an image the relay altered: the pHash is checked against the on-chain result", async () => {
    let tamper = false;
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!tamper || !/\/results\/\d+$/.test(new URL(String(input)).pathname) || !response.ok) return response;
      return new Response(samplePng(128, 128, 3) as BodyInit, {
        status: 200,
        headers: { "content-type": "image/png" },
      });
    };
    const client = clientFor(devnet, ROLES.app, { fetch: tampering });
    const created = await createTask(client, { args: smallArgs(21, 1) });
    await uploadTaskArgs(client, created);
    const { result } = await waitForTask(client, { taskId: created.taskId, fromBlock: created.blockNumber });
    tamper = true;
    await assert.rejects(downloadImages(client, { taskId: created.taskId, result }), (error: unknown) => {
      assert.ok(error instanceof ImageMismatchError);
      assert.equal(error.index, 0);
      assert.ok(error.distance >= error.threshold);
      return true;
    });
    tamper = false;
    assert.equal((await downloadImages(client, { taskId: created.taskId })).length, 1);
  });

  it("checks images with the threshold fixed in the task, and distance == threshold is a mismatch", async () => {
    const owner = clientFor(devnet, ROLES.deployer);
    const setThreshold = async (threshold: bigint) => {
      const hash = await owner.walletClient?.writeContract({
        address: devnet.deployment.contracts.TaskManager,
        abi: taskManagerAbi,
        functionName: "setDistanceThreshold",
        args: [threshold],
        chain: foundry,
        account: owner.walletClient.account as never,
      });
      await owner.publicClient.waitForTransactionReceipt({ hash: hash as `0x${string}` });
    };
    // The task is created under threshold 32; the owner lowers it to 5 right after.
    await setThreshold(32n);
    const client = clientFor(devnet, ROLES.app);
    let served: Uint8Array | undefined;
    const serving: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!served || !/\/results\/\d+$/.test(new URL(String(input)).pathname) || !response.ok) return response;
      return new Response(served as BodyInit, { status: 200, headers: { "content-type": "image/png" } });
    };
    const app = clientFor(devnet, ROLES.app, { fetch: serving });
    let created: Awaited<ReturnType<typeof createTask>>;
    try {
      created = await createTask(client, { args: smallArgs(23, 1) });
    } finally {
      await setThreshold(5n);
    }
    await uploadTaskArgs(client, created);
    const { result } = await waitForTask(client, { taskId: created.taskId, fromBlock: created.blockNumber });
    // Images at exactly 32 bits, and at 5 to 31 bits, from the on-chain hash.
    const at = (low: number, high: number) => {
      for (let variant = 1; variant < 5000; variant++) {
        const png = samplePng(64, 64, variant);
        const distance = hammingDistance(phashPngHex(png), result);
        if (distance >= low && distance <= high) return { png, distance };
      }
      throw new Error(`no sample image at distance ${low}…${high}`);
    };
    served = at(32, 32).png;
    await assert.rejects(downloadImages(app, { taskId: created.taskId }), (error: unknown) => {
      assert.ok(error instanceof ImageMismatchError, String(error));
      assert.equal(error.distance, 32);
      assert.equal(error.threshold, 32);
      return true;
    });
    const near = at(5, 31);
    served = near.png;
    const [image] = await downloadImages(app, { taskId: created.taskId });
    assert.equal(image?.distance, near.distance, "accepted under the task's threshold (32), not the current one (5)");
  });

  it("rejects waitForTask with TaskAbortedError(Cancelled) when the task is cancelled after its deadline", async () => {
    const client = clientFor(devnet, ROLES.app);
    // Arguments never uploaded: the nodes wait, the deadline passes, the creator cancels.
    const created = await createTask(client, { args: smallArgs(31, 1) });
    const waiting = waitForTask(client, { taskId: created.taskId, fromBlock: created.blockNumber });
    await assert.rejects(cancelTask(client, { taskId: created.taskId }), (error: unknown) => {
      assert.ok(error instanceof ContractRevertedError);
      assert.equal(error.errorName, "DeadlineNotReached");
      return true;
    });
    await passTime(devnet, devnet.deployment.parameters.taskTimeoutSeconds + 1);
    await cancelTask(client, { taskId: created.taskId }).catch((error: unknown) => {
      // A node may have cancelled first.
      if (!(error instanceof ContractRevertedError)) throw error;
    });
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof TaskAbortedError);
      assert.equal(error.reason, "Cancelled");
      assert.equal(error.taskId, created.taskId);
      return true;
    });
    const task = await getTask(client, { taskId: created.taskId });
    assert.equal(task.phase, "Aborted");
    assert.equal(task.abortReason, "Cancelled");
  });

  it("answers TaskNotFoundError for a task that never existed, and times out uploading to it", async () => {
    const client = clientFor(devnet, ROLES.app);
    await assert.rejects(getTask(client, { taskId: 10_000n }), TaskNotFoundError);
    await assert.rejects(downloadImages(client, { taskId: 10_000n }), TaskNotFoundError);
    const args = JSON.stringify(smallArgs());
    await assert.rejects(uploadTaskArgs(client, { taskId: 10_000n, taskArgs: args, timeoutMs: 400 }), TimeoutError);
    assert.equal(taskHash(args).length, 66);
  });

  it("sums up the network: nodes, stakes, tasks by outcome", async () => {
    const stats = await getNetworkStats(clientFor(devnet, undefined));
    assert.equal(stats.nodes.length, 3);
    assert.equal(stats.totalStaked, 3n * BigInt(devnet.deployment.parameters.stakeAmount));
    assert.ok(stats.tasks.total >= 4);
    assert.ok(stats.tasks.byOutcome.completed + stats.tasks.byOutcome.success >= 3);
    assert.ok(stats.tasks.byOutcome.cancelled >= 1);
    assert.deepEqual(stats.slashes, []);
    assert.ok(stats.tasks.recent.every((t) => t.createdAt > 0));
  });
});

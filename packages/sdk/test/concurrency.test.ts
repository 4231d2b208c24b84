import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { type Chain, devAccount, ROLES, setupChain } from "@hydrogen/testnet";
import { createPublicClient, createWalletClient, type Hex, HttpRequestError, http } from "viem";
import { toAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  createHydrogenClient,
  createTask,
  getNetworkStats,
  getTaskEvents,
  type HydrogenClient,
  PermitRejectedError,
  WrongChainError,
} from "../src/index.ts";

const NODES = 60;
/** The application account: after the nodes. */
const APP = ROLES.firstNode + NODES;

/**
 * A client for the application account. Its relay is not running: createTask then takes the
 * schema's size limit, and nothing here needs the relay.
 */
function appClient(chain: Chain, chainId = chain.deployment.chainId): HydrogenClient {
  const transport = http(chain.anvil.rpcUrl);
  return createHydrogenClient({
    publicClient: createPublicClient({ chain: foundry, transport }),
    walletClient: createWalletClient({ account: devAccount(APP), chain: foundry, transport }),
    deployment: { ...chain.deployment, chainId },
    relayUrl: "http://127.0.0.1:9",
    pollingIntervalMs: 50,
  });
}

const args = (seed: number) => ({
  base_model: "org/model",
  prompt: "a lighthouse at dawn",
  task_config: { seed, num_images: 1, image_width: 128, image_height: 128 },
});

describe("one account, many tasks at once", () => {
  let chain: Chain;
  before(async () => {
    chain = await setupChain({ accounts: APP + 1 });
    await chain.joinNodes(NODES);
    await chain.fund(devAccount(APP).address, 10_000n * 10n ** 18n);
    await chain.snapshot();
  });
  after(() => chain?.stop());
  beforeEach(() => chain.restore());

  it("20 concurrent createTask calls from one client all succeed, each paid by its own permit", async () => {
    const client = appClient(chain);
    const before = await chain.balance(devAccount(APP).address);
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => createTask(client, { args: args(i) })));
    assert.equal(new Set(created.map((t) => t.taskId)).size, 20);
    for (const task of created) assert.equal(new Set(task.nodes).size, 3);
    const fee = created[0]?.fee ?? 0n;
    assert.equal(await chain.balance(devAccount(APP).address), before - 20n * fee);
    assert.equal(await chain.cnx.read("nonces", devAccount(APP).address), 20n, "one permit per task");
  });

  it("two clients of one account (as two processes) race for its nonces and permits: all tasks succeed", async () => {
    const [first, second] = [appClient(chain), appClient(chain)];
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) => createTask(i % 2 ? first : second, { args: args(100 + i) })),
    );
    assert.equal(new Set(created.map((t) => t.taskId)).size, 10);
  });

  it("a permit the token refuses is reported as such, not as a missing allowance", async () => {
    // A wallet that signs typed data with another key than its account's (a misconfigured
    // signer): the token recovers another owner and refuses the permit.
    const app = devAccount(APP);
    const other = devAccount(APP - 1);
    const signer = toAccount({
      address: app.address,
      signMessage: (message) => app.signMessage(message),
      signTransaction: (transaction, options) => app.signTransaction(transaction, options),
      signTypedData: (typedData) => other.signTypedData(typedData as never),
    });
    const transport = http(chain.anvil.rpcUrl);
    const client = createHydrogenClient({
      publicClient: createPublicClient({ chain: foundry, transport }),
      walletClient: createWalletClient({ account: signer, chain: foundry, transport }),
      deployment: chain.deployment,
      relayUrl: "http://127.0.0.1:9",
      pollingIntervalMs: 50,
    });
    await assert.rejects(createTask(client, { args: args(200) }), (error: unknown) => {
      assert.ok(error instanceof PermitRejectedError, String(error));
      assert.equal(error.code, "SDK_PERMIT_REJECTED");
      assert.equal(error.reason, "refused");
      assert.equal(error.retryable, false);
      return true;
    });
    assert.equal(await chain.cnx.read("nonces", app.address), 0n);
  });

  it("reads events in block ranges no wider than maxLogRange", async () => {
    const { taskId } = await createTask(appClient(chain), { args: args(400) });
    const ranges: bigint[] = [];
    const base = http(chain.anvil.rpcUrl);
    const recording: typeof base = (options) => {
      const transport = base(options);
      const request = (async (call: { method: string; params?: [{ fromBlock: Hex; toBlock: Hex }] }) => {
        const filter = call.params?.[0];
        if (call.method === "eth_getLogs" && filter)
          ranges.push(BigInt(filter.toBlock) - BigInt(filter.fromBlock) + 1n);
        return transport.request(call as never);
      }) as typeof transport.request;
      return { ...transport, request };
    };
    const narrow = createHydrogenClient({
      publicClient: createPublicClient({ chain: foundry, transport: recording }),
      deployment: chain.deployment,
      relayUrl: "http://127.0.0.1:9",
      maxLogRange: 3,
    });
    const events = await getTaskEvents(narrow, { taskId });
    assert.ok(ranges.length > 1, "more than one read");
    assert.ok(
      ranges.every((blocks) => blocks <= 3n),
      `ranges: ${ranges.join(", ")}`,
    );
    assert.deepEqual(events, await getTaskEvents(appClient(chain), { taskId }));
    assert.equal(events.filter((e) => e.name === "TaskCreated").length, 3);
  });

  it("splits a range whose results the provider refuses, down to single blocks", async () => {
    await createTask(appClient(chain), { args: args(401) });
    // The provider answers at most as many logs as the busiest block holds (public ones cap results).
    const all = await chain.publicClient.getLogs({
      address: [chain.deployment.contracts.TaskManager, chain.deployment.contracts.NodeRegistry],
      fromBlock: 0n,
    });
    const perBlock = new Map<bigint, number>();
    for (const log of all) perBlock.set(log.blockNumber, (perBlock.get(log.blockNumber) ?? 0) + 1);
    const cap = Math.max(...perBlock.values());
    assert.ok(all.length > cap);
    let refused = 0;
    const base = http(chain.anvil.rpcUrl, { retryCount: 0 });
    const capped: typeof base = (options) => {
      const transport = base(options);
      const request = (async (call: { method: string }) => {
        const answer = await transport.request(call as never);
        if (call.method === "eth_getLogs" && (answer as unknown[]).length > cap) {
          refused++;
          throw new Error(`query returned more than ${cap} results`);
        }
        return answer;
      }) as typeof transport.request;
      return { ...transport, request };
    };
    const client = createHydrogenClient({
      publicClient: createPublicClient({ chain: foundry, transport: capped }),
      deployment: chain.deployment,
      relayUrl: "http://127.0.0.1:9",
    });
    // Every TaskManager and NodeRegistry log since the deployment: more than the cap.
    const stats = await getNetworkStats(client);
    assert.ok(refused > 0, "some reads were refused and split");
    assert.deepEqual(stats, await getNetworkStats(appClient(chain)));
    assert.ok(stats.nodes.length > 0 && stats.tasks.total > 0);
  });

  it("sends the same signed bytes again when a provider fails or loses the answer; one task, paid once", async () => {
    const sends: string[] = [];
    const base = http(chain.anvil.rpcUrl);
    const flaky: typeof base = (options) => {
      const transport = base(options);
      const request = (async (call: { method: string; params?: unknown[] }) => {
        if (call.method !== "eth_sendRawTransaction") return transport.request(call as never);
        sends.push(String(call.params?.[0]));
        // 1st: the provider takes it but the answer is lost; 2nd: it fails before taking it.
        if (sends.length === 1) await transport.request(call as never);
        if (sends.length <= 2) throw new HttpRequestError({ url: chain.anvil.rpcUrl, status: 502 });
        return transport.request(call as never);
      }) as typeof transport.request;
      return { ...transport, request };
    };
    const client = createHydrogenClient({
      publicClient: createPublicClient({ chain: foundry, transport: flaky }),
      walletClient: createWalletClient({ account: devAccount(APP), chain: foundry, transport: flaky }),
      deployment: chain.deployment,
      relayUrl: "http://127.0.0.1:9",
      pollingIntervalMs: 50,
    });
    const nonce = await chain.publicClient.getTransactionCount({ address: devAccount(APP).address });
    const before = await chain.balance(devAccount(APP).address);
    const created = await createTask(client, { args: args(402) });
    assert.equal(new Set(sends).size, 1, "one transaction, its bytes sent three times");
    assert.equal(sends.length, 3);
    assert.equal(await chain.publicClient.getTransactionCount({ address: devAccount(APP).address }), nonce + 1);
    assert.equal(before - (await chain.balance(devAccount(APP).address)), created.fee);
  });

  it("refuses to read events from an RPC on another chain than the deployment's", async () => {
    await assert.rejects(getTaskEvents(appClient(chain, 1), { taskId: 1n }), (error: unknown) => {
      assert.ok(error instanceof WrongChainError, String(error));
      assert.equal(error.where, "rpc");
      return true;
    });
  });

  it("refuses to pay on another chain than the deployment's, before sending anything", async () => {
    const client = appClient(chain, 1);
    await assert.rejects(createTask(client, { args: args(300) }), (error: unknown) => {
      assert.ok(error instanceof WrongChainError, String(error));
      assert.equal(error.where, "rpc");
      assert.match(error.message, /serves chain 31337, but the deployment is for chain 1/);
      return true;
    });
    assert.equal(await chain.publicClient.getTransactionCount({ address: devAccount(APP).address }), 0);
  });
});

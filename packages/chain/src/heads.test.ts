import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { Wakeup } from "@hydrogen/protocol";
import { startAnvil } from "@hydrogen/testnet";
import { createPublicClient, createTestClient, createWalletClient, type Hex, http, pad, toHex } from "viem";
import { foundry } from "viem/chains";
import { type WebSocket, WebSocketServer } from "ws";
import { type Head, watchHeads, watchLogs } from "./heads.ts";

/** Waits until `check` holds (a bound on a failure, not a timing assertion). */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A WebSocket JSON-RPC peer that answers `eth_subscribe` and pushes the heads a test gives it. */
async function fakeNode(port = 0, answer?: (id: number) => object) {
  const server = new WebSocketServer({ host: "127.0.0.1", port });
  await new Promise((resolve) => server.once("listening", resolve));
  const clients = new Set<WebSocket>();
  let subscriptions = 0;
  /** The live subscriptions' parameters, by the id this peer gave them. */
  const live = new Map<string, unknown[]>();
  server.on("connection", (socket) => {
    clients.add(socket);
    socket.on("close", () => {
      clients.delete(socket);
      live.clear();
    });
    socket.on("message", (data) => {
      const request = JSON.parse(data.toString()) as { id: number; method: string; params: unknown[] };
      if (request.method === "eth_subscribe") {
        subscriptions++;
        const id = subscriptions === 1 ? "0xsub" : `0xsub${subscriptions}`;
        if (!answer) live.set(id, request.params);
        socket.send(JSON.stringify(answer ? answer(request.id) : { jsonrpc: "2.0", id: request.id, result: id }));
      }
      if (request.method === "eth_unsubscribe") {
        const existed = live.delete(request.params[0] as string);
        socket.send(JSON.stringify({ jsonrpc: "2.0", id: request.id, result: existed }));
      }
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    get subscriptions() {
      return subscriptions;
    },
    live,
    /** Sends a notification of subscription `id`. */
    notify(id: string, result: object) {
      const message = { jsonrpc: "2.0", method: "eth_subscription", params: { subscription: id, result } };
      for (const client of clients) client.send(JSON.stringify(message));
    },
    push(number: number) {
      const message = { jsonrpc: "2.0", method: "eth_subscription", params: { subscription: "0xsub", result: {} } };
      message.params.result = { number: `0x${number.toString(16)}`, logsBloom: `0x${"00".repeat(256)}` };
      for (const client of clients) client.send(JSON.stringify(message));
    },
    async close() {
      for (const client of clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("watchHeads", () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("delivers each block anvil mines, with its number, time and log bloom", async () => {
    const anvil = await startAnvil({ args: ["--silent"] });
    cleanups.push(() => anvil.stop());
    const heads: Head[] = [];
    const watcher = watchHeads(anvil.rpcUrl.replace("http", "ws"), (head) => heads.push(head));
    cleanups.push(() => watcher.stop());
    await until("the subscription", () => watcher.connected);
    await createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) }).mine({ blocks: 3 });
    await until("three heads", () => heads.length >= 3);
    assert.deepEqual(
      heads.map((h) => h.number),
      [1n, 2n, 3n],
    );
    for (const head of heads) assert.match(head.logsBloom ?? "", /^0x[0-9a-f]{512}$/);
    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const third = await client.getBlock({ blockNumber: 3n });
    assert.equal(heads[2]?.timestamp, third.timestamp);
  });

  it("reopens the subscription after the peer drops it and while it refuses connections", async () => {
    const first = await fakeNode();
    const port = first.port;
    const seen: bigint[] = [];
    const errors: Error[] = [];
    const watcher = watchHeads(`ws://127.0.0.1:${port}`, (head) => seen.push(head.number), {
      retryMs: 50,
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => watcher.stop());
    await until("the subscription", () => watcher.connected);
    first.push(7);
    await until("head 7", () => seen.includes(7n));
    await first.close();
    await until("the drop to be noticed", () => !watcher.connected);
    const refusedBefore = errors.length;
    await until("a refused reconnection", () => errors.length > refusedBefore + 1);
    assert.ok(errors.some((e) => /ECONNREFUSED/.test(e.message)));
    const second = await fakeNode(port);
    cleanups.push(() => second.close());
    await until("the new subscription", () => second.subscriptions === 1 && watcher.connected);
    second.push(8);
    await until("head 8", () => seen.includes(8n));
    assert.deepEqual(seen, [7n, 8n]);
  });

  it("reports a refused subscription and asks again", async () => {
    const peer = await fakeNode(0, (id) => ({
      jsonrpc: "2.0",
      id,
      error: { code: -32601, message: "no subscriptions" },
    }));
    cleanups.push(() => peer.close());
    const errors: Error[] = [];
    const watcher = watchHeads(`ws://127.0.0.1:${peer.port}`, () => undefined, {
      retryMs: 20,
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => watcher.stop());
    await until("two refusals", () => peer.subscriptions >= 2);
    assert.match(errors[0]?.message ?? "", /newHeads subscription refused.*no subscriptions/);
    assert.equal(watcher.connected, false);
  });

  it("stop() closes the socket and no head arrives after it", async () => {
    const peer = await fakeNode();
    cleanups.push(() => peer.close());
    const seen: bigint[] = [];
    const watcher = watchHeads(`ws://127.0.0.1:${peer.port}`, (head) => seen.push(head.number));
    await until("the subscription", () => watcher.connected);
    watcher.stop();
    peer.push(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen, []);
    assert.equal(watcher.connected, false);
  });
});

describe("watchLogs", () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const address = "0x00000000000000000000000000000000000000aa";
  const topic = (n: number) => pad(toHex(n));

  it("delivers the block and time of each matching log anvil mines, and none of the others", async () => {
    const anvil = await startAnvil({ args: ["--silent"] });
    cleanups.push(() => anvil.stop());
    const wallet = createWalletClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const [from] = (await wallet.getAddresses()) as [Hex];
    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const send = async (to: Hex | undefined, data: Hex) => {
      const hash = await wallet.sendTransaction({ account: from, chain: foundry, to, data });
      return client.waitForTransactionReceipt({ hash });
    };
    // A contract whose code emits one log, its only topic the call's first 32 bytes.
    const runtime = "60003560006000a100";
    const { contractAddress } = await send(undefined, `0x68${runtime}60005260096017f3` as Hex);
    assert.ok(contractAddress);
    const heads: Head[] = [];
    const watcher = watchLogs(
      anvil.rpcUrl.replace("http", "ws"),
      contractAddress,
      () => [[topic(2)]],
      (head) => heads.push(head),
    );
    cleanups.push(() => watcher.stop());
    await until("the subscription", () => watcher.connected);
    await send(contractAddress, topic(1));
    const matching = await send(contractAddress, topic(2));
    assert.equal(matching.logs.length, 1);
    await until("the matching log", () => heads.length > 0);
    const block = await client.getBlock({ blockNumber: matching.blockNumber });
    assert.deepEqual(heads, [{ number: matching.blockNumber, timestamp: block.timestamp }]);
  });

  it("refresh() subscribes to new filters and drops old ones; a reconnection asks for all again", async () => {
    const first = await fakeNode();
    const port = first.port;
    let filters = [
      [topic(1), null],
      [null, topic(2)],
    ];
    const seen: Head[] = [];
    let confirmed = 0;
    const watcher = watchLogs(
      `ws://127.0.0.1:${port}`,
      address,
      () => filters,
      (head) => seen.push(head),
      {
        retryMs: 50,
        onSubscribed: () => confirmed++,
      },
    );
    cleanups.push(() => watcher.stop());
    await until("both subscriptions", () => watcher.connected && first.live.size === 2);
    assert.deepEqual(
      [...first.live.values()],
      [
        ["logs", { address, topics: [topic(1), null] }],
        ["logs", { address, topics: [null, topic(2)] }],
      ],
    );
    assert.equal(confirmed, 2, "each confirmed subscription is reported");
    const [one] = [...first.live.keys()];
    first.notify(one as string, { blockNumber: "0x2a", blockTimestamp: "0x64", topics: [topic(1)] });
    await until("the log", () => seen.length === 1);
    assert.deepEqual(seen, [{ number: 42n, timestamp: 100n }]);

    filters = [
      [null, topic(2)],
      [null, topic(3)],
    ];
    watcher.refresh();
    await until("the change", () => first.live.size === 2 && first.subscriptions === 3);
    assert.deepEqual(
      [...first.live.values()].map((p) => (p[1] as { topics: unknown[] }).topics),
      [
        [null, topic(2)],
        [null, topic(3)],
      ],
    );
    watcher.refresh();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(first.subscriptions, 3, "an unchanged set asks for nothing");
    assert.equal(confirmed, 3);

    await first.close();
    const second = await fakeNode(port);
    cleanups.push(() => second.close());
    await until("the resubscription", () => watcher.connected && second.live.size === 2);
    assert.deepEqual(
      [...second.live.values()].map((p) => (p[1] as { topics: unknown[] }).topics),
      [
        [null, topic(2)],
        [null, topic(3)],
      ],
    );
  });
});

describe("Wakeup", () => {
  it("keeps a wake that rang while the loop was busy, for its next wait only", async () => {
    const wakeup = new Wakeup();
    const signal = new AbortController().signal;
    wakeup.wake();
    let woke = false;
    await wakeup.wait(60_000, signal).then(() => {
      woke = true;
    });
    assert.ok(woke, "the kept wake ends the wait at once");
    let second = false;
    const waiting = wakeup.wait(60_000, signal).then(() => {
      second = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(second, false, "a wake is used once");
    wakeup.wake();
    await waiting;
    assert.ok(second);
  });

  it("ends on its timeout and on abort", async () => {
    const wakeup = new Wakeup();
    await wakeup.wait(5, new AbortController().signal);
    const controller = new AbortController();
    const waiting = wakeup.wait(60_000, controller.signal);
    controller.abort();
    await waiting;
  });
});

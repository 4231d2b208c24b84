import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { startAnvil } from "@hydrogen/contracts/anvil";
import { createPublicClient, createTestClient, http } from "viem";
import { foundry } from "viem/chains";
import { type WebSocket, WebSocketServer } from "ws";
import { Wakeup } from "./follower.ts";
import { type Head, watchHeads } from "./heads.ts";

/** Waits until `check` holds (a bound on a failure, not a timing assertion). */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A WebSocket JSON-RPC peer that answers `eth_subscribe` and pushes the heads a test gives it. */
async function fakeNode(port = 0, answer: (id: number) => object = (id) => ({ jsonrpc: "2.0", id, result: "0xsub" })) {
  const server = new WebSocketServer({ host: "127.0.0.1", port });
  await new Promise((resolve) => server.once("listening", resolve));
  const clients = new Set<WebSocket>();
  let subscriptions = 0;
  server.on("connection", (socket) => {
    clients.add(socket);
    socket.on("close", () => clients.delete(socket));
    socket.on("message", (data) => {
      const request = JSON.parse(data.toString()) as { id: number; method: string; params: unknown[] };
      if (request.method === "eth_subscribe" && request.params[0] === "newHeads") {
        subscriptions++;
        socket.send(JSON.stringify(answer(request.id)));
      }
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    get subscriptions() {
      return subscriptions;
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

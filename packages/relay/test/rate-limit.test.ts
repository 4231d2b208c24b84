import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type RelayErrorBody, routePath } from "@hydrogen/protocol";
import type { Chain } from "@hydrogen/testnet";
import type { Relay } from "../src/index.ts";
import { sqlite, type TestDatabase } from "./helpers/backends.ts";
import { type ChainTask, createTask, patternPng, relayClient, startChain, startTestRelay } from "./helpers/relay.ts";

async function refusedForRate(response: Response, by: string): Promise<number> {
  assert.equal(response.status, 429);
  const body = (await response.json()) as RelayErrorBody;
  assert.equal(body.error.code, "RELAY_RATE_LIMITED");
  assert.equal(body.error.retryable, true);
  assert.match(body.error.message, new RegExp(`from this ${by}`));
  const retryAfter = Number(response.headers.get("retry-after"));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  return retryAfter;
}

describe("rate limits per address and per signer", () => {
  let chain: Chain;
  let database: TestDatabase;
  let relay: Relay;
  let api: ReturnType<typeof relayClient>;
  let task: ChainTask;

  before(async () => {
    chain = await startChain(3);
    database = await sqlite.create();
    relay = await startTestRelay(chain, database, {
      rateLimit: { windowSeconds: 60, perAddress: 40, perSigner: 5 },
    });
    api = relayClient(relay, chain);
    task = await createTask(chain, [patternPng(1)]);
    await api.waitForPhase(task.taskId, "created");
  });
  after(async () => {
    await relay?.close();
    await database?.drop();
    await chain?.stop();
  });

  it("a signer past its budget gets 429 with Retry-After; other signers do not", async () => {
    const path = routePath("getTask", { id: task.taskId });
    for (let i = 0; i < 5; i++) {
      assert.equal((await api.request("GET", path, { signer: chain.creator })).status, 409); // no args yet
    }
    await refusedForRate(await api.request("GET", path, { signer: chain.creator }), "signer");
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /hydrogen_relay_rate_limited_total\{by="signer"\} 1/);
    // A node of the task, and a stranger, each have their own budget.
    assert.equal((await api.request("GET", path, { signer: task.nodes[0] })).status, 409);
    assert.equal((await api.request("GET", path, { signer: chain.creator2 })).status, 403);
  });

  it("an address past its budget gets 429 before any signature is checked", async () => {
    let answered = 0;
    let refused: Response | undefined;
    for (let i = 0; i < 60 && !refused; i++) {
      const response = await fetch(`${relay.url}/v1/now`);
      if (response.status === 429) refused = response;
      else {
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        answered++;
      }
    }
    assert.ok(refused, "never limited");
    assert.ok(answered < 40, `${answered} answered`);
    await refusedForRate(refused, "address");
    await refusedForRate(await fetch(`${relay.url}/metrics`), "address");
    // Signed requests from the same address are refused too, without recovering their signer.
    const signed = await api.request("GET", routePath("getTask", { id: task.taskId }), { signer: task.nodes[1] });
    await refusedForRate(signed, "address");
    // A malformed signature is not even looked at: the budget comes first.
    const garbage = await fetch(`${relay.url}${routePath("getTask", { id: task.taskId })}`, {
      headers: { "x-hydrogen-timestamp": "1", "x-hydrogen-signature": "0xzz" },
    });
    await refusedForRate(garbage, "address");
  });
});

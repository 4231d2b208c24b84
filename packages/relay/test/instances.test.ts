import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Chain } from "@hydrogen/testnet";
import type { Address } from "viem";
import type { Relay } from "../src/index.ts";
import { backends, postgres, type TestDatabase } from "./helpers/backends.ts";
import { type RelayProcess, spawnRelay } from "./helpers/process.ts";
import { createTask, patternPng, relayClient, startChain, succeed } from "./helpers/relay.ts";

type Instance = RelayProcess;

async function startInstance(chain: Chain, database: TestDatabase): Promise<Instance> {
  return spawnRelay(chain, { databaseUrl: database.url, imageDir: database.imageDir });
}

async function isLeader(instance: Instance): Promise<boolean> {
  const metrics = await (await fetch(`${instance.url}/metrics`)).text();
  return /^hydrogen_relay_follower_leader 1$/m.test(metrics);
}

const hasPostgres = (await backends()).some((b) => b.name === "postgres");

describe("several relay instances on one PostgreSQL", {
  skip: hasPostgres ? false : "PostgreSQL not reachable",
}, () => {
  let chain: Chain;
  let database: TestDatabase;
  const instances: Instance[] = [];

  before(async () => {
    chain = await startChain(9);
    database = await postgres.create();
    instances.push(await startInstance(chain, database), await startInstance(chain, database));
  });
  after(async () => {
    for (const instance of instances) instance.process.kill("SIGKILL");
    await database?.drop();
    await chain?.stop();
  });

  it("one follows the chain; when it dies the other takes over within seconds and nothing is lost", async () => {
    const [a, b] = instances as [Instance, Instance];
    const asRelay = (instance: Instance) => ({ url: instance.url }) as Relay;
    const viaA = relayClient(asRelay(a), chain);
    const viaB = relayClient(asRelay(b), chain);

    const first = await createTask(chain, [patternPng(1), patternPng(2)], 1);
    await viaA.waitForPhase(first.taskId, "created");
    await viaB.waitForPhase(first.taskId, "created");
    const leaders = [await isLeader(a), await isLeader(b)];
    assert.deepEqual(leaders.filter(Boolean).length, 1, `exactly one leader: ${leaders}`);
    const [leader, follower, viaLeader, viaFollower] = leaders[0] ? [a, b, viaA, viaB] : [b, a, viaB, viaA];

    // Written through one instance, read through the other: arguments and images.
    assert.equal((await viaLeader.uploadArgs(chain.creator, first.taskId, first.args)).status, 200);
    await succeed(chain, first);
    await viaFollower.waitForPhase(first.taskId, "success");
    assert.equal((await viaLeader.uploadResults(first.nodes[0] as Address, first.taskId, first.images)).status, 200);
    const image = await viaFollower.image(chain.creator, first.taskId, 1);
    assert.equal(image.status, 200);
    assert.deepEqual(new Uint8Array(await image.arrayBuffer()), first.images[1]);

    leader.process.kill("SIGKILL");
    await new Promise((resolve) => leader.process.once("exit", resolve));
    const second = await createTask(chain, [patternPng(3)], 3);
    const killedAt = Date.now();
    await viaFollower.waitForPhase(second.taskId, "created", 20_000);
    const takeover = Date.now() - killedAt;
    assert.ok(await isLeader(follower), "the survivor now follows the chain");
    assert.equal((await viaFollower.uploadArgs(chain.creator, second.taskId, second.args)).status, 200);
    const firstAgain = await viaFollower.getTask(chain.creator, first.taskId);
    assert.equal(firstAgain.status, 200);
    assert.equal(((await firstAgain.json()) as { phase: string }).phase, "results_uploaded");
    assert.equal((await viaFollower.image(chain.creator, first.taskId, 0)).status, 200);
    console.log(`# takeover after the leader was killed: ${takeover} ms`);
  });
});

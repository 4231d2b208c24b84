import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "@hydrogen/contracts/anvil";
import type { Chain } from "@hydrogen/contracts/testing";
import type { Address } from "viem";
import type { Relay } from "../src/index.ts";
import { backends, postgres, type TestDatabase } from "./helpers/backends.ts";
import { createTask, patternPng, relayClient, startChain, succeed } from "./helpers/relay.ts";

const BIN = fileURLToPath(new URL("../bin/hydrogen-relay.mjs", import.meta.url));

interface Instance {
  url: string;
  process: ChildProcess;
  output: string[];
}

async function startInstance(chain: Chain, database: TestDatabase): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN], {
    env: {
      ...process.env,
      RELAY_PORT: String(port),
      RELAY_RPC_URL: chain.anvil.rpcUrl,
      RELAY_CHAIN_ID: "31337",
      RELAY_TASK_MANAGER: chain.tm.address,
      RELAY_FROM_BLOCK: String(chain.deployment.deploymentBlock),
      RELAY_DATABASE_URL: database.url,
      RELAY_IMAGE_STORE: "files",
      RELAY_IMAGE_DIR: database.imageDir,
      RELAY_LOG_LEVEL: "info",
      RELAY_CONFIG: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) assert.fail(`relay exited: ${output.join("")}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, process: child, output };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  assert.fail(`relay did not start: ${output.join("")}`);
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

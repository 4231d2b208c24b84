import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ChainMismatchError } from "@hydrogen/chain";
import { type Chain, devKey, STAKE, Status, setupChain } from "@hydrogen/testnet";
import { createKeystore, type HydrogenNode, parseConfig, startNode } from "../src/index.ts";

/** The fields these tests read from management API answers. */
interface Answer {
  error: { code: string; message: string };
  node: { status: string };
  wallet: string;
  earnings: { transactions: number };
  txs: string[];
  status: string;
}

const BIN = fileURLToPath(new URL("../bin/hydrogen-node.mjs", import.meta.url));

describe("staking lifecycle (a node in process, keystore wallet)", () => {
  let chain: Chain;
  let node: HydrogenNode;
  let dataDir: string;
  const api = async (path: string, method = "GET", token = node.apiToken) => {
    const response = await fetch(`${node.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Answer };
  };

  before(async () => {
    chain = await setupChain({ accounts: 5 });
    dataDir = mkdtempSync(join(tmpdir(), "node-staking-"));
    const keystore = join(dataDir, "key.json");
    writeFileSync(keystore, JSON.stringify(await createKeystore(devKey(4), "s3cret", { n: 1024 })));
    node = await startNode(
      parseConfig({
        dataDir,
        chain: {
          rpcUrl: chain.anvil.rpcUrl,
          chainId: 31337,
          taskManager: chain.tm.address,
          pollIntervalMs: 100,
          confirmations: 0,
        },
        wallet: { keystore },
        relay: { url: "http://127.0.0.1:9" },
        staking: { onStart: "wait", usePermit: false },
        api: { port: 0 },
        log: { level: "silent" },
      }),
      { env: { HYDROGEN_NODE_KEYSTORE_PASSWORD: "s3cret" } },
    );
  });
  after(async () => {
    await node?.close();
    await chain?.stop();
  });

  it("refuses to start against an RPC that serves another chain", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "node-wrong-chain-"));
    await assert.rejects(
      startNode(
        parseConfig({
          dataDir: otherDir,
          chain: { rpcUrl: chain.anvil.rpcUrl, chainId: 1, taskManager: chain.tm.address },
          relay: { url: "http://127.0.0.1:9" },
          api: { port: 0 },
          log: { level: "silent" },
        }),
        { env: { HYDROGEN_NODE_PRIVATE_KEY: devKey(4) } },
      ),
      (error: unknown) => error instanceof ChainMismatchError && error.actual === 31337 && error.expected === 1,
    );
  });

  it("with onStart=wait it only reports the status; the generated API token file is private", async () => {
    assert.equal(node.address, chain.nodes[0]);
    assert.equal(await chain.status(node.address), Status.Quit);
    const { body } = await api("/api/status");
    assert.equal(body.node.status, "Quit");
    assert.equal(body.wallet, "keystore");
    const file = join(dataDir, "api-token");
    assert.equal(readFileSync(file, "utf8").trim(), node.apiToken);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("join without the stake in CNX is refused with a clear error, nothing sent", async () => {
    const { status, body } = await api("/api/actions/join", "POST");
    assert.equal(status, 409);
    assert.equal(body.error.code, "NODE_INSUFFICIENT_CNX");
    assert.match(body.error.message, /400 CNX/);
    assert.equal((await api("/api/status")).body.earnings.transactions, 0);
  });

  it("joins with approve + join once funded, then pause, resume, quit return the stake", async () => {
    await chain.fund(node.address, STAKE);
    const joined = await api("/api/actions/join", "POST");
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body.txs.length, 2, "approve, then join");
    assert.equal(await chain.status(node.address), Status.Available);
    assert.equal((await api("/api/actions/pause", "POST")).body.status, "Paused");
    assert.equal((await api("/api/actions/resume", "POST")).body.status, "Available");
    assert.equal((await api("/api/actions/quit", "POST")).body.status, "Quit");
    assert.equal(await chain.balance(node.address), STAKE);
    const unknown = await api("/api/actions/explode", "POST");
    assert.equal(unknown.status, 404);
    const badId = await api("/api/tasks/abc");
    assert.equal(badId.status, 400);
    assert.equal(badId.body.error.code, "NODE_API_INVALID_REQUEST");
  });

  it("the key never appears in the status or the logs", async () => {
    const text = JSON.stringify((await api("/api/status")).body) + JSON.stringify((await api("/api/logs")).body);
    assert.ok(!text.includes(devKey(4).slice(2)));
    assert.ok(!text.includes("s3cret"));
  });
});

describe("hydrogen-node command", () => {
  it("exits 2 with every problem listed when the configuration is invalid", () => {
    const run = spawnSync(BIN, [], {
      env: {
        ...process.env,
        HYDROGEN_NODE_CONFIG: "",
        HYDROGEN_NODE_RPC_URL: "not a url",
        HYDROGEN_NODE_CHAIN_ID: "x",
      },
      encoding: "utf8",
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /HYDROGEN_NODE_CHAIN_ID: "x" is not a number/);
  });

  it("exits 2 when there is no key", () => {
    const run = spawnSync(BIN, [], {
      env: {
        ...process.env,
        HYDROGEN_NODE_CONFIG: "",
        HYDROGEN_NODE_PRIVATE_KEY: "",
        HYDROGEN_NODE_RPC_URL: "http://127.0.0.1:9",
        HYDROGEN_NODE_CHAIN_ID: "31337",
        HYDROGEN_NODE_TASK_MANAGER: `0x${"12".repeat(20)}`,
        HYDROGEN_NODE_RELAY_URL: "http://127.0.0.1:9",
        HYDROGEN_NODE_DATA_DIR: mkdtempSync(join(tmpdir(), "node-cli-")),
      },
      encoding: "utf8",
    });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /no key/);
  });
});

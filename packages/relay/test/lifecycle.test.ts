import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ChainMismatchError } from "@hydrogen/chain";
import { routePath } from "@hydrogen/protocol";
import type { Chain } from "@hydrogen/testnet";
import type { Address } from "viem";
import { ConfigError, loadConfig, parseConfig, redactConfig } from "../src/index.ts";
import { sqlite, type TestDatabase } from "./helpers/backends.ts";
import {
  createTask,
  multipart,
  patternPng,
  relayClient,
  startChain,
  startTestRelay,
  succeed,
} from "./helpers/relay.ts";

const base = {
  chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337, taskManager: `0x${"ab".repeat(20)}` },
  database: { url: "sqlite:/tmp/relay.db" },
};

/** `base` as environment variables (no deployment file, no task manager). */
function envOf(config: typeof base): NodeJS.ProcessEnv {
  return { HYDROGEN_RELAY_RPC_URL: config.chain.rpcUrl, HYDROGEN_RELAY_DATABASE_URL: config.database.url };
}

describe("relay configuration", () => {
  it("fills in documented defaults", () => {
    const config = parseConfig(base);
    assert.equal(config.listen.port, 8787);
    assert.equal(config.chain.confirmations, 12, "an unknown chain id: 12 blocks");
    assert.equal(parseConfig({ ...base, chain: { ...base.chain, chainId: 8453 } }).chain.confirmations, 1);
    assert.equal(parseConfig({ ...base, chain: { ...base.chain, chainId: 137 } }).chain.confirmations, 16);
    assert.equal(parseConfig({ ...base, chain: { ...base.chain, confirmations: 0 } }).chain.confirmations, 0);
    assert.equal(config.retention.afterEndSeconds, 86_400);
    assert.equal(config.images.store, "files");
    assert.equal(config.signatureWindowSeconds, 60);
  });

  it("lists every problem with its path", () => {
    assert.throws(
      () =>
        parseConfig({
          chain: { rpcUrl: "nope", chainId: -1, taskManager: "0x12" },
          database: { url: "mysql://x" },
          extra: 1,
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.issues.join("\n");
        for (const path of ["chain.rpcUrl", "chain.chainId", "chain.taskManager", "database.url"])
          assert.match(text, new RegExp(path));
        assert.match(text, /extra/);
        return true;
      },
    );
  });

  it("reads a file, lets the environment win, and rejects non-numbers", () => {
    const file = join(tmpdir(), `relay-config-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ ...base, listen: { port: 9000 } }));
    const config = loadConfig({
      file,
      env: { HYDROGEN_RELAY_PORT: "9100", HYDROGEN_RELAY_DATABASE_URL: "postgres://u:secret@db/relay" },
    });
    assert.equal(config.listen.port, 9100);
    assert.equal(config.database.url, "postgres://u:secret@db/relay");
    assert.equal(redactConfig(config).database.url, "postgres://u:***@db/relay");
    assert.throws(() => loadConfig({ file, env: { HYDROGEN_RELAY_PORT: "eighty" } }), /HYDROGEN_RELAY_PORT/);
    assert.throws(() => loadConfig({ file: join(tmpdir(), "missing.json") }), /cannot read config file/);
    writeFileSync(file, "{ not json");
    assert.throws(() => loadConfig({ file }), /is not JSON/);
  });

  it("finds the contracts in a deployments file, which must be for the configured chain", () => {
    const file = join(tmpdir(), `relay-deployment-${process.pid}.json`);
    const taskManager = `0x${"cd".repeat(20)}`;
    writeFileSync(
      file,
      JSON.stringify({ chainId: 1337, deploymentBlock: 42, contracts: { TaskManager: taskManager } }),
    );
    const chain = { rpcUrl: "http://127.0.0.1:8545", chainId: 1337, deployment: file };
    const config = parseConfig({ ...base, chain });
    assert.equal(config.chain.taskManager, taskManager);
    assert.equal(config.chain.fromBlock, 42);
    assert.equal(
      loadConfig({ env: { ...envOf(base), HYDROGEN_RELAY_DEPLOYMENT: file, HYDROGEN_RELAY_CHAIN_ID: "1337" } }).chain
        .fromBlock,
      42,
    );
    assert.throws(
      () => parseConfig({ ...base, chain: { ...chain, chainId: 31337 } }),
      (error: unknown) => error instanceof ConfigError && /is for chain 1337, not 31337/.test(error.message),
    );
    assert.throws(
      () => parseConfig({ ...base, chain: { rpcUrl: chain.rpcUrl, chainId: 1337 } }),
      /give chain.deployment or chain.taskManager/,
    );
  });

  it("the command exits 2 with the problems on a bad configuration", () => {
    const bin = fileURLToPath(new URL("../bin/hydrogen-relay.mjs", import.meta.url));
    const run = spawnSync(process.execPath, [bin], {
      env: { ...process.env, HYDROGEN_RELAY_CONFIG: "", HYDROGEN_RELAY_CHAIN_ID: "x" },
      encoding: "utf8",
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /HYDROGEN_RELAY_CHAIN_ID/);
  });
});

describe("the chain it is pointed at", () => {
  let chain: Chain;
  before(async () => {
    chain = await startChain(0);
  });
  after(() => chain?.stop());

  it("refuses to start when the RPC serves another chain than the configured one", async () => {
    const database = await sqlite.create();
    try {
      await assert.rejects(
        startTestRelay(chain, database, {
          chain: { rpcUrl: chain.anvil.rpcUrl, chainId: 1, taskManager: chain.tm.address },
        }),
        (error: unknown) =>
          error instanceof ChainMismatchError && /serves chain 31337.*for chain 1/.test(error.message),
      );
    } finally {
      await database.drop();
    }
  });
});

describe("graceful shutdown", () => {
  let chain: Chain;
  let database: TestDatabase;

  before(async () => {
    chain = await startChain(3);
    database = await sqlite.create();
  });
  after(async () => {
    await database?.drop();
    await chain?.stop();
  });

  it("finishes an upload in flight, refuses what arrives while closing in its own shape, then stops", async () => {
    const relay = await startTestRelay(chain, database);
    const api = relayClient(relay, chain);
    const task = await createTask(chain, [patternPng(1)]);
    await api.waitForPhase(task.taskId, "created");
    await api.uploadArgs(chain.creator, task.taskId, task.args);
    await succeed(chain, task);
    await api.waitForPhase(task.taskId, "success");

    const path = routePath("uploadResults", { id: task.taskId });
    const { body, contentType } = multipart(task.images);
    const headers = await api.signedHeaders(task.nodes[0] as Address, "POST", path, { body });
    const url = new URL(relay.url);
    // By hand on one socket: the upload, then a second request pipelined behind it.
    const socket = connect(Number(url.port), url.hostname);
    const head = Object.entries({ ...headers, "content-type": contentType, "content-length": String(body.length) })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.write(`POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\n${head}\r\n`);
    socket.write(body.subarray(0, 100));
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const ended = new Promise((resolve) => socket.on("close", resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = relay.close();
    // The rest arrives after shutdown has begun, with a request pipelined behind it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(Buffer.concat([body.subarray(100), Buffer.from(`GET /v1/now HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`)]));
    await ended;
    const answers = Buffer.concat(received).toString("latin1");
    assert.match(answers, /^HTTP\/1\.1 200 /, "the in-flight upload completes");
    const late = answers.slice(answers.indexOf("HTTP/1.1", 10));
    assert.match(late, /^HTTP\/1\.1 503 /, "a request arriving while closing is refused");
    assert.match(late, /"code":"RELAY_UNAVAILABLE"/);
    assert.match(late, /"retryable":true/);
    await closed;
    await assert.rejects(fetch(`${relay.url}/healthz`), "no longer listening");
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import pino from "pino";
import { createEngine } from "../engines/index.ts";
import { CachingModelManager } from "../models/caching-manager.ts";
import { ConfigError, loadConfig, parseConfig, redactConfig } from "./load.ts";

const base = {
  chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337, taskManager: `0x${"12".repeat(20)}` },
  relay: { url: "http://127.0.0.1:8787" },
};

describe("node configuration", () => {
  it("fills in documented defaults", () => {
    const config = parseConfig(base);
    assert.equal(config.api.host, "127.0.0.1");
    assert.equal(config.staking.onStart, "join");
    assert.equal(config.engine.kind, "synthetic");
    assert.equal(config.chain.confirmations, 12, "an unknown chain id: 12 blocks");
    assert.equal(parseConfig({ ...base, chain: { ...base.chain, chainId: 1 } }).chain.confirmations, 3);
    assert.equal(parseConfig({ ...base, chain: { ...base.chain, confirmations: 0 } }).chain.confirmations, 0);
    assert.equal(config.tasks.maxBackoffMs, 30_000);
  });

  it("configures the ComfyUI engine and its model cache, from the file and the environment", () => {
    const config = loadConfig({
      env: {
        HYDROGEN_NODE_RPC_URL: base.chain.rpcUrl,
        HYDROGEN_NODE_CHAIN_ID: "31337",
        HYDROGEN_NODE_TASK_MANAGER: base.chain.taskManager,
        HYDROGEN_NODE_RELAY_URL: base.relay.url,
        HYDROGEN_NODE_ENGINE: "comfyui",
        HYDROGEN_NODE_COMFYUI_URL: "http://10.0.0.5:8188",
        HYDROGEN_NODE_MODELS_PROXY: "http://proxy.internal:3128",
        HYDROGEN_NODE_MODELS_BUDGET_GB: "50",
        HYDROGEN_NODE_DATA_DIR: mkdtempSync(join(tmpdir(), "hydrogen-config-")),
      },
    });
    assert.deepEqual(config.engine, { kind: "comfyui", url: "http://10.0.0.5:8188", pollIntervalMs: 500 });
    assert.equal(config.models.proxy, "http://proxy.internal:3128");
    assert.equal(config.models.diskBudgetGb, 50);
    assert.equal(config.models.hfEndpoint, "https://huggingface.co");
    assert.deepEqual(config.models.preload, []);
    const { engine, models } = createEngine(config, `0x${"34".repeat(20)}`, { log: pino({ level: "silent" }) });
    assert.equal(engine.name, "comfyui");
    assert.ok(models instanceof CachingModelManager);
    assert.equal(models.cache.dir, join(config.dataDir, "models"));
    assert.throws(() => parseConfig({ ...base, engine: { kind: "comfyui", url: "not a url" } }), ConfigError);
    assert.throws(() => parseConfig({ ...base, models: { preload: [{ ref: "a/b", kind: "unet" }] } }), ConfigError);
  });

  it("lists every problem with its path", () => {
    try {
      parseConfig({ chain: { rpcUrl: "nope", chainId: -1 }, relay: {}, engine: { kind: "gpu" }, extra: 1 });
      assert.fail("should throw");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const text = error.issues.join("\n");
      for (const path of ["chain.rpcUrl", "chain.chainId", "relay.url", "engine.kind", "(root)"]) {
        assert.ok(text.includes(path), `${path} in ${text}`);
      }
    }
    assert.throws(
      () => parseConfig({ ...base, chain: { ...base.chain, taskManager: undefined } }),
      /deployment or chain.taskManager/,
    );
  });

  it("reads a file, and the environment wins", () => {
    const file = join(mkdtempSync(join(tmpdir(), "node-config-")), "node.json");
    writeFileSync(file, JSON.stringify(base));
    const config = loadConfig({
      file,
      env: {
        HYDROGEN_NODE_API_PORT: "9999",
        HYDROGEN_NODE_SYNTHETIC_DISHONEST: "true",
        HYDROGEN_NODE_ON_START: "wait",
        HYDROGEN_NODE_API_TOKEN: "a-token-of-enough-length",
      },
    });
    assert.equal(config.api.port, 9999);
    assert.equal(config.engine.kind === "synthetic" && config.engine.dishonest, true);
    assert.equal(config.staking.onStart, "wait");
    assert.equal(redactConfig(config).api.token, "***");
    assert.throws(() => loadConfig({ file, env: { HYDROGEN_NODE_API_PORT: "eighty" } }), /HYDROGEN_NODE_API_PORT/);
    assert.throws(() => loadConfig({ file, env: { HYDROGEN_NODE_SYNTHETIC_DISHONEST: "yes" } }), /true or false/);
    assert.throws(() => loadConfig({ file: join(tmpdir(), "missing-node.json") }), /cannot read config file/);
  });
});

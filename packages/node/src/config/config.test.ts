import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
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
    assert.equal(config.chain.confirmations, 0);
    assert.equal(config.tasks.maxBackoffMs, 30_000);
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

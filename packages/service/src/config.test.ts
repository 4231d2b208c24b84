import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configFileArgument, logConfigSchema } from "./config.ts";

describe("service configuration helpers", () => {
  it("the config file: --config wins over the environment variable", () => {
    const env = { HYDROGEN_X_CONFIG: "from-env.json" };
    assert.equal(configFileArgument(["--config", "x.json"], "HYDROGEN_X_CONFIG", env), "x.json");
    assert.equal(configFileArgument([], "HYDROGEN_X_CONFIG", env), "from-env.json");
    assert.equal(configFileArgument([], "HYDROGEN_X_CONFIG", {}), undefined);
  });

  it("the log section: info by default, pino's levels only, nothing else", () => {
    assert.deepEqual(logConfigSchema.parse(undefined), { level: "info" });
    assert.equal(logConfigSchema.safeParse({ level: "loud" }).success, false);
    assert.equal(logConfigSchema.safeParse({ level: "warn", colour: true }).success, false);
  });
});

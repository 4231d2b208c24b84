import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { checkLayering, devChainUses, importsOf, violationsIn } from "./layering.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const at = (workspace, path) => join(ROOT, workspace, path);

describe("layering", () => {
  it("the repository imports only in the allowed directions", () => {
    const found = checkLayering(ROOT).map((v) => `${v.file.slice(ROOT.length)}: ${v.specifier} (${v.why})`);
    assert.deepEqual(found, []);
  });

  it("nothing outside tests, the test chain and the devnet calls anvil_*, evm_* or hardhat_* methods", () => {
    assert.deepEqual(
      devChainUses(ROOT).map((u) => `${u.file.slice(ROOT.length)}: ${u.match}`),
      [],
    );
  });

  it("finds static, re-exported and dynamic imports", () => {
    const text = [
      'import { a } from "@hydrogen/chain";',
      'import type { B } from "@hydrogen/protocol/abi";',
      'export { c } from "./c.ts";',
      'const d = await import("@hydrogen/node");',
      'import "./side-effect.ts";',
    ].join("\n");
    assert.deepEqual(importsOf(text), ["@hydrogen/chain", "@hydrogen/protocol/abi", "./c.ts", "@hydrogen/node"]);
  });

  it("refuses an import against the layers, and only that", () => {
    const check = (workspace, path, specifier) =>
      violationsIn(ROOT, workspace, at(workspace, path), `import { x } from "${specifier}";`).map((v) => v.why);
    assert.match(check("packages/relay", "src/a.ts", "@hydrogen/node")[0], /may not import @hydrogen\/node/);
    assert.match(check("packages/node", "src/a.ts", "@hydrogen/relay")[0], /may not import @hydrogen\/relay/);
    assert.match(check("packages/protocol", "src/a.ts", "@hydrogen/chain")[0], /may not import/);
    assert.match(check("packages/sdk", "src/a.ts", "@hydrogen/chain")[0], /may not import/);
    assert.match(check("packages/web", "src/a.ts", "@hydrogen/protocol")[0], /may not import/);
    assert.match(check("packages/devnet", "src/a.ts", "@hydrogen/cli")[0], /nothing imports it/);
    assert.match(check("packages/node", "test/a.test.ts", "@hydrogen/e2e")[0], /nothing imports it/);
    assert.match(check("e2e", "a.test.ts", "../packages/node/test/helpers/proxy.ts")[0], /relative path/);
    // Allowed: down the layers, test tooling in tests, other packages' /testing entries in tests.
    assert.deepEqual(check("packages/relay", "src/a.ts", "@hydrogen/chain"), []);
    assert.deepEqual(check("packages/relay", "test/a.test.ts", "@hydrogen/testnet"), []);
    assert.deepEqual(check("packages/sdk", "test/a.test.ts", "@hydrogen/devnet"), []);
    assert.deepEqual(check("e2e", "a.test.ts", "@hydrogen/node/testing"), []);
    assert.deepEqual(check("packages/relay", "bench/a.ts", "../../../tools/bench-smoke.ts"), []);
    assert.match(check("packages/relay", "src/a.ts", "@hydrogen/testnet")[0], /may not import/);
  });
});

/**
 * The import directions of the repository (docs/development.md, "Layers"): which workspace a
 * workspace's code may import. Production code (everything but tests and test helpers) follows
 * the layers; tests may also use the test tooling (`@hydrogen/testnet`, `@hydrogen/deploy`, `@hydrogen/devnet`)
 * and other packages' `/testing` entries. Nothing imports the CLI or the e2e suite, and no file
 * reaches into another workspace by a relative path.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** Workspace directory → its package name, and the packages its production code may import. */
export const LAYERS = {
  "packages/protocol": { name: "@hydrogen/protocol", may: [] },
  "packages/service": { name: "@hydrogen/service", may: [] },
  "packages/chain": { name: "@hydrogen/chain", may: ["@hydrogen/protocol"] },
  "packages/relay": { name: "@hydrogen/relay", may: ["@hydrogen/protocol", "@hydrogen/chain", "@hydrogen/service"] },
  "packages/node": { name: "@hydrogen/node", may: ["@hydrogen/protocol", "@hydrogen/chain", "@hydrogen/service"] },
  "packages/sdk": { name: "@hydrogen/sdk", may: ["@hydrogen/protocol"] },
  "packages/web": { name: "@hydrogen/web", may: ["@hydrogen/sdk"] },
  "packages/deploy": { name: "@hydrogen/deploy", may: ["@hydrogen/protocol"] },
  "packages/testnet": { name: "@hydrogen/testnet", may: ["@hydrogen/protocol", "@hydrogen/deploy"] },
  contracts: { name: "@hydrogen/contracts", may: ["@hydrogen/protocol"] },
  "packages/devnet": {
    name: "@hydrogen/devnet",
    may: [
      "@hydrogen/protocol",
      "@hydrogen/chain",
      "@hydrogen/service",
      "@hydrogen/deploy",
      "@hydrogen/testnet",
      "@hydrogen/relay",
      "@hydrogen/node",
    ],
  },
  "packages/cli": {
    name: "@hydrogen/cli",
    may: [
      "@hydrogen/protocol",
      "@hydrogen/chain",
      "@hydrogen/service",
      "@hydrogen/deploy",
      "@hydrogen/relay",
      "@hydrogen/node",
      "@hydrogen/sdk",
      "@hydrogen/devnet",
    ],
  },
  e2e: { name: "@hydrogen/e2e", may: null },
};

/** Known crossings, each as `{file, specifier}` with a comment saying why it is still here. */
export const EXCEPTIONS = [];

/** What tests may use on top of their package's layer: a local chain, the deployer, the devnet. */
const TEST_TOOLING = ["@hydrogen/testnet", "@hydrogen/deploy", "@hydrogen/devnet"];
/** Imported by nobody. */
const TOP = ["@hydrogen/cli", "@hydrogen/e2e"];

const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;
const SKIP = new Set(["node_modules", "dist", "out", ".tsbuild", "cache"]);
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^"'`]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (SOURCE.test(entry.name)) yield path;
  }
}

/** Whether a file is a test or test tooling (test files, test/ and bench/ folders). */
export function isTestCode(path) {
  return /\.test\.[a-z]+$/.test(path) || path.split(sep).some((part) => part === "test" || part === "bench");
}

/** The specifiers a source text imports (static, re-exports and dynamic imports with a literal). */
export function importsOf(text) {
  const found = [];
  for (const match of text.matchAll(IMPORT)) found.push(match[1] ?? match[2]);
  return found;
}

/**
 * Every import against the layers in one workspace's file: `{file, specifier, why}` each.
 * `root` is the repository; `workspace` a key of LAYERS.
 */
export function violationsIn(root, workspace, file, text) {
  const layer = LAYERS[workspace];
  const test = isTestCode(relative(join(root, workspace), file));
  const out = [];
  for (const specifier of importsOf(text)) {
    if (specifier.startsWith(".")) {
      const target = resolve(dirname(file), specifier);
      const inside = relative(join(root, workspace), target);
      const toTools = relative(join(root, "tools"), target);
      if (inside.startsWith("..") && toTools.startsWith("..")) {
        out.push({ file, specifier, why: "reaches into another workspace by a relative path: import its package" });
      }
      continue;
    }
    const name = specifier.match(/^@hydrogen\/[^/]+/)?.[0];
    if (!name || name === layer.name) continue;
    if (TOP.includes(name)) {
      out.push({ file, specifier, why: `${name} is at the top: nothing imports it` });
      continue;
    }
    if (layer.may === null) continue; // e2e: everything below it
    const allowed =
      layer.may.includes(name) || (test && (TEST_TOOLING.includes(name) || specifier.endsWith("/testing")));
    if (!allowed) out.push({ file, specifier, why: `${layer.name} may not import ${name}` });
  }
  return out;
}

/** Every violation in the repository at `root`, known exceptions left out. */
export function checkLayering(root) {
  const out = [];
  for (const workspace of Object.keys(LAYERS)) {
    for (const file of files(join(root, workspace))) {
      out.push(...violationsIn(root, workspace, file, readFileSync(file, "utf8")));
    }
  }
  const excepted = (v) =>
    EXCEPTIONS.some((e) => relative(root, v.file).split(sep).join("/") === e.file && v.specifier === e.specifier);
  return out.filter((v) => !excepted(v));
}

/** Workspaces whose production code may drive a development chain (spec §7 "Real chains"). */
const DEV_CHAIN_WORKSPACES = ["packages/testnet", "packages/devnet"];
/** What only a development chain answers: its RPC namespaces, and viem's test client. */
const DEV_CHAIN_ONLY = /["'`](?:anvil|evm|hardhat)_[A-Za-z]+|createTestClient/;

/**
 * Production files outside the test tooling and the devnet that use development-chain-only RPC
 * methods (`anvil_*`, `evm_*`, `hardhat_*`) or viem's test client: `{file, match}` each.
 */
export function devChainUses(root) {
  const out = [];
  for (const workspace of Object.keys(LAYERS)) {
    if (DEV_CHAIN_WORKSPACES.includes(workspace) || workspace === "e2e" || workspace === "contracts") continue;
    for (const file of files(join(root, workspace))) {
      if (isTestCode(relative(join(root, workspace), file))) continue;
      const match = readFileSync(file, "utf8").match(DEV_CHAIN_ONLY);
      if (match) out.push({ file, match: match[0] });
    }
  }
  return out;
}

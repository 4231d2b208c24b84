#!/usr/bin/env node
/**
 * A stand-in for the native `solc` binary that forge runs (foundry.toml `solc`), answered by
 * solc-js, since nothing may be downloaded here: `solc --version`, then
 * `solc --standard-json [--base-path …] [--allow-paths …]` with the compiler input on stdin.
 * Forge puts every source in the input; imports it did not are read from the base path.
 */
const { existsSync, readFileSync } = require("node:fs");
const { resolve } = require("node:path");
const solc = require("solc");

const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write(`solc-js.cjs only answers --version and --standard-json (got: ${args.join(" ")})\n`);
  process.exit(2);
}
const at = args.indexOf("--base-path");
const bases = [at >= 0 ? args[at + 1] : undefined, process.cwd()].filter(Boolean);
function findImports(path) {
  for (const base of bases) {
    const full = resolve(base, path);
    if (existsSync(full)) return { contents: readFileSync(full, "utf8") };
  }
  return { error: `${path} not found under ${bases.join(", ")}` };
}
process.stdout.write(solc.compile(readFileSync(0, "utf8"), { import: findImports }));

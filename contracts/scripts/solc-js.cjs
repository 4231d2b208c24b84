#!/usr/bin/env node
// Forge calls a native solc: `solc --version`, then `solc --standard-json [--allow-paths …]` with
// the input on stdin. This answers both with solc-js.
const solc = require("solc");
const fs = require("node:fs");
const path = require("node:path");
const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
const input = fs.readFileSync(0, "utf8");
const basePath = args[args.indexOf("--base-path") + 1] ?? process.cwd();
const findImports = (p) => {
  for (const base of [basePath, process.cwd()]) {
    const full = path.resolve(base, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, "utf8") };
  }
  return { error: `not found: ${p}` };
};
process.stdout.write(solc.compile(input, { import: findImports }));

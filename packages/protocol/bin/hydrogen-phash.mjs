#!/usr/bin/env node
// Runs the TypeScript command through tsx, so the package needs no build step.
import { register } from "tsx/esm/api";

register();
const { runPhash } = await import("../src/phash/cli.ts");
process.exitCode = runPhash(
  process.argv.slice(2),
  (line) => process.stdout.write(`${line}\n`),
  (line) => process.stderr.write(`${line}\n`),
);

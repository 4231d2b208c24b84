#!/usr/bin/env -S node --max-semi-space-size=2
// The flag: a small young generation. The daemon's allocations are short-lived and small;
// V8's default 16 MB semi-spaces cost about 30 MB of resident memory for nothing.
// Runs the node daemon from its bundle (`npm run build`: one file, about half the memory of
// compiling TypeScript at start-up), or from the TypeScript sources through tsx when there is
// no bundle (development).
import { existsSync } from "node:fs";

const bundle = new URL("../dist/hydrogen-node.mjs", import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}

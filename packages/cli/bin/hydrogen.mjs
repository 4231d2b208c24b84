#!/usr/bin/env node
// Runs the TypeScript command through tsx, as the rest of the monorepo does.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");

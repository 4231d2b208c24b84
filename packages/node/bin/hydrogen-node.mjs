#!/usr/bin/env node
// Runs the node daemon from TypeScript sources (tsx), as the rest of the monorepo does.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");

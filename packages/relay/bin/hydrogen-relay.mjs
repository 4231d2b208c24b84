#!/usr/bin/env node
// Runs the relay from TypeScript sources (tsx), as the rest of the monorepo does.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");

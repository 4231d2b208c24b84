import { runCommand } from "@hydrogen/service";
import { runRelay } from "./cli.ts";

runCommand("hydrogen-relay", () => runRelay(process.argv.slice(2)));

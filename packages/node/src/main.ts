import { runCommand } from "@hydrogen/service";
import { runNode } from "./cli.ts";

runCommand("hydrogen-node", () => runNode(process.argv.slice(2)));

import { runNode } from "./cli.ts";

runNode(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hydrogen-node: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

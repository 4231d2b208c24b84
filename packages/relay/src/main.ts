import { runRelay } from "./cli.ts";

runRelay(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hydrogen-relay: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

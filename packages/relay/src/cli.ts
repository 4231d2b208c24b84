import cluster from "node:cluster";
import { ChainMismatchError } from "@hydrogen/chain";
import { configFileArgument, waitForSignal } from "@hydrogen/service";
import { ConfigError, loadConfig } from "./config/load.ts";
import { openDatabase } from "./db/connect.ts";
import { startRelay } from "./relay.ts";

const USAGE = `Usage: hydrogen-relay [--config relay.json]   (also: hydrogen relay start)

Runs the Hydrogen relay. Configuration comes from the JSON file (also HYDROGEN_RELAY_CONFIG)
and environment variables, which win: HYDROGEN_RELAY_RPC_URL, HYDROGEN_RELAY_WS_URL,
HYDROGEN_RELAY_CHAIN_ID, HYDROGEN_RELAY_DEPLOYMENT or HYDROGEN_RELAY_TASK_MANAGER (+ HYDROGEN_RELAY_FROM_BLOCK),
HYDROGEN_RELAY_CONFIRMATIONS, HYDROGEN_RELAY_DATABASE_URL (sqlite:<path> or postgres://…),
HYDROGEN_RELAY_IMAGE_STORE (files|database), HYDROGEN_RELAY_IMAGE_DIR, HYDROGEN_RELAY_HOST,
HYDROGEN_RELAY_PORT, HYDROGEN_RELAY_RETENTION_SECONDS, HYDROGEN_RELAY_LOG_LEVEL,
HYDROGEN_RELAY_WORKERS (processes sharing the port), HYDROGEN_RELAY_RATE_LIMIT_PER_ADDRESS,
HYDROGEN_RELAY_RATE_LIMIT_PER_SIGNER, HYDROGEN_RELAY_HASH_THREADS.
See docs/relay.md.`;

/**
 * The `hydrogen-relay` command (also `hydrogen relay`): runs until SIGTERM/SIGINT; resolves
 * with the exit code (2 for a configuration problem).
 */
export async function runRelay(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ file: configFileArgument(argv, "HYDROGEN_RELAY_CONFIG"), env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hydrogen-relay: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (config.workers > 1 && cluster.isPrimary) {
    // Migrate once, before the workers race to.
    await (await openDatabase(config.database.url)).close();
    return supervise(config.workers);
  }
  let relay: Awaited<ReturnType<typeof startRelay>>;
  try {
    relay = await startRelay(config);
  } catch (error) {
    if (error instanceof ChainMismatchError) {
      process.stderr.write(`hydrogen-relay: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  relay.context.log.info({ signal: await waitForSignal() }, "signal received");
  await relay.close();
  // A worker's channel to the primary holds its process open: let go of it so the process can end.
  if (cluster.isWorker) cluster.worker?.disconnect();
  return 0;
}

/** The primary of a multi-process relay: forks the workers, passes signals on, exits with them. */
async function supervise(workers: number): Promise<number> {
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await new Promise<void>((resolve) => {
    cluster.on("exit", (worker, code) => {
      if (!stopping) {
        process.stderr.write(`hydrogen-relay: worker ${worker.process.pid} exited (${code}); starting another\n`);
        cluster.fork();
      } else if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
    });
  });
  return 0;
}

import { ChainMismatchError } from "@hydrogen/chain";
import { configFileArgument, waitForSignal } from "@hydrogen/service";
import { ConfigError, loadConfig } from "./config/load.ts";
import { startNode } from "./node.ts";
import { StoreIdentityError } from "./store/store.ts";
import { WalletError } from "./wallet/wallet.ts";

const USAGE = `Usage: hydrogen-node [--config node.json]

Runs a Hydrogen node. Configuration comes from the JSON file (also HYDROGEN_NODE_CONFIG) and
environment variables, which win: HYDROGEN_NODE_RPC_URL, HYDROGEN_NODE_CHAIN_ID,
HYDROGEN_NODE_DEPLOYMENT or HYDROGEN_NODE_TASK_MANAGER, HYDROGEN_NODE_RELAY_URL,
HYDROGEN_NODE_DATA_DIR, HYDROGEN_NODE_KEYSTORE (+ HYDROGEN_NODE_KEYSTORE_PASSWORD or
HYDROGEN_NODE_KEYSTORE_PASSWORD_FILE), HYDROGEN_NODE_PRIVATE_KEY (devnets), HYDROGEN_NODE_ENGINE,
HYDROGEN_NODE_ON_START (join|wait), HYDROGEN_NODE_API_PORT, HYDROGEN_NODE_LOG_LEVEL. See docs/node.md.`;

/**
 * The `hydrogen-node` command (also `hydrogen node start`): runs until SIGTERM/SIGINT; resolves
 * with the exit code (2 for a configuration problem).
 */
export async function runNode(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode(loadConfig({ file: configFileArgument(argv, "HYDROGEN_NODE_CONFIG"), env: process.env }));
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof WalletError ||
      error instanceof StoreIdentityError ||
      error instanceof ChainMismatchError
    ) {
      process.stderr.write(`hydrogen-node: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  node.log.info({ signal: await waitForSignal() }, "signal received");
  await node.close();
  return 0;
}

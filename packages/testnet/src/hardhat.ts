import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type LocalNode, startLocalNode } from "./anvil.ts";

const require = createRequire(import.meta.url);
/** The config the node runs with (`hardhat/hardhat.config.cjs`: the development accounts, Cancun). */
const CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "hardhat");

export interface HardhatOptions {
  /** Default 1337: not anvil's 31337, so that nothing depends on it. */
  chainId?: number;
  /** Mine a block every this many milliseconds; 0 (the default) mines each transaction at once. */
  blockMs?: number;
  /** Development accounts. Default 20. */
  accounts?: number;
  /** Port on 127.0.0.1; a free one when absent. */
  port?: number;
}

/**
 * Starts `hardhat node` (Hardhat 2, its EDR EVM): a second, independently written chain
 * implementation for tests, with HTTP and WebSocket on one port.
 *
 * @example
 * const hardhat = await startHardhat({ chainId: 1337, blockMs: 1000 });
 * await hardhat.stop();
 */
export async function startHardhat(options: HardhatOptions = {}): Promise<LocalNode> {
  const port = options.port ?? (await freePort());
  return startLocalNode({
    name: "hardhat node",
    command: process.execPath,
    args: [
      require.resolve("hardhat/internal/cli/cli.js"),
      "node",
      "--hostname",
      "127.0.0.1",
      "--port",
      String(port),
      "--config",
      join(CONFIG_DIR, "hardhat.config.cjs"),
    ],
    cwd: CONFIG_DIR,
    port,
    startTimeoutMs: 60_000,
    env: {
      HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
      HYDROGEN_HARDHAT_CHAIN_ID: String(options.chainId ?? 1337),
      HYDROGEN_HARDHAT_BLOCK_MS: String(options.blockMs ?? 0),
      HYDROGEN_HARDHAT_ACCOUNTS: String(options.accounts ?? 20),
    },
  });
}

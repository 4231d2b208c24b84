import {
  type Network as BaseNetwork,
  type NetworkOptions as BaseOptions,
  startNetwork as startBaseNetwork,
  wsUrlOf,
} from "@hydrogen/devnet";
import { createHydrogenClient, type HydrogenClient } from "@hydrogen/sdk";
import { localChain } from "@hydrogen/testnet";
import { createPublicClient, createWalletClient, http, type Transport, webSocket } from "viem";

export { NETWORK_API_TOKEN as API_TOKEN, waitFor } from "@hydrogen/devnet";

export interface NetworkOptions extends Omit<BaseOptions, "apps"> {
  /** Application accounts, each with an SDK client. Default 1. */
  apps?: number;
  /** Applications use a WebSocket transport (event subscriptions) instead of HTTP polling. Default false. */
  appWebSocket?: boolean;
}

/**
 * The shared network harness (`@hydrogen/devnet`'s `startNetwork`: anvil, a relay process, node
 * processes) with an SDK client per application account. `E2E_PROFILE_DIR` and `E2E_LOG_DIR`
 * (docs/e2e.md) profile and keep every process's output.
 */
export async function startNetwork(options: NetworkOptions = {}) {
  const network: BaseNetwork = await startBaseNetwork({
    profileDir: process.env.E2E_PROFILE_DIR,
    logDir: process.env.E2E_LOG_DIR,
    ...options,
    apps: options.apps ?? 1,
  });
  const chain = localChain(network.chain.deployment.chainId);
  const clients: HydrogenClient[] = [];
  const closeTransports: (() => Promise<void>)[] = [];
  try {
    for (const [i, account] of network.appAccounts.entries()) {
      const appRpc = await network.rpcUrl(`app-${i}`);
      let transport: Transport = http(appRpc);
      if (options.appWebSocket) {
        const socket = webSocket(wsUrlOf(appRpc), { reconnect: false });
        closeTransports.push(async () => (await socket({ chain }).value?.getRpcClient())?.close());
        transport = socket;
      }
      clients.push(
        createHydrogenClient({
          publicClient: createPublicClient({ chain, transport }),
          walletClient: createWalletClient({ account, chain, transport }),
          deployment: network.chain.deployment,
          relayUrl: network.relayUrl,
          pollingIntervalMs: 100,
          ...(options.maxRange ? { maxLogRange: options.maxRange } : {}),
        }),
      );
    }
  } catch (error) {
    await network.stop();
    throw error;
  }
  return {
    ...network,
    apps: clients,
    app: clients[0] as HydrogenClient,
    async stop() {
      await Promise.allSettled(closeTransports.map((close) => close()));
      await network.stop();
    },
  };
}

export type Network = Awaited<ReturnType<typeof startNetwork>>;

/** Small, fast task arguments for the synthetic engine. */
export function smallArgs(seed: number, images = 1) {
  return {
    base_model: "org/model",
    prompt: "a lighthouse at dawn",
    task_config: { seed, num_images: images, image_width: 128, image_height: 128 },
  };
}

/** Runs `body` on a fresh network, adding every process's log tail to its error when it fails. */
export async function withNetwork(options: NetworkOptions, body: (network: Network) => Promise<void>): Promise<void> {
  const network = await startNetwork(options);
  try {
    await body(network);
  } catch (error) {
    (error as Error).message += `\n${network.logs()}`;
    throw error;
  } finally {
    await network.stop();
  }
}

import type { Deployment } from "@hydrogen/sdk";
import { createHydrogenClient, type HydrogenClient } from "@hydrogen/sdk";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  type EIP1193Provider,
  type Hex,
  http,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { localSessionStore } from "./session-store.ts";
import { discoverWallets, ensureWalletChain } from "./wallets.ts";

/** Where the app finds the network: `/devnet.json` on a devnet, or the build's VITE_HYDROGEN_CONFIG. */
export interface AppConfig {
  chainId: number;
  rpcUrl: string;
  relayUrl: string;
  deployment: Deployment;
  /** A devnet-funded key; absent on real networks. */
  burner?: { address: Address; privateKey: Hex };
  pollingIntervalMs?: number;
  /** A devnet's faucet (`POST {address}`); absent on real networks. */
  faucet?: string;
}

export async function loadConfig(): Promise<AppConfig> {
  const url = import.meta.env.VITE_HYDROGEN_CONFIG ?? "/devnet.json";
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load the network configuration from ${url} (${response.status})`);
  return (await response.json()) as AppConfig;
}

export interface Session {
  client: HydrogenClient;
  /** The account paying for tasks. */
  account: Address | undefined;
  wallet: "injected" | "burner" | "none";
  /** The injected wallet's name (EIP-6963). */
  walletName?: string;
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

/**
 * The SDK client: reads through the configured RPC; signs with the browser's wallet (EIP-6963
 * discovery, EIP-1193; switched to the app's chain, or the chain added) when it has one, or the
 * devnet's burner key.
 */
export async function connect(config: AppConfig): Promise<Session> {
  const chain = defineChain({
    id: config.chainId,
    name: `Hydrogen ${config.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(config.rpcUrl) });
  const base = {
    publicClient,
    deployment: config.deployment,
    relayUrl: config.relayUrl,
    pollingIntervalMs: config.pollingIntervalMs ?? 1000,
  };
  // A wallet the browser offers (EIP-6963; else window.ethereum), put on the app's chain.
  const [wallet] = await discoverWallets();
  if (wallet) {
    const [address] = (await wallet.provider.request({ method: "eth_requestAccounts" })) as Address[];
    if (address) {
      await ensureWalletChain(wallet.provider, { chainId: config.chainId, name: chain.name, rpcUrl: config.rpcUrl });
      const walletClient = createWalletClient({ account: address, chain, transport: custom(wallet.provider) });
      // One relay session a day instead of a wallet prompt per relay request.
      const sessions = { store: localSessionStore(config.chainId, config.deployment.contracts.TaskManager) };
      return {
        client: createHydrogenClient({ ...base, walletClient, sessions }),
        account: address,
        wallet: "injected",
        walletName: wallet.name,
      };
    }
  }
  if (config.burner) {
    const account = privateKeyToAccount(config.burner.privateKey);
    const walletClient = createWalletClient({ account, chain, transport: http(config.rpcUrl) });
    return { client: createHydrogenClient({ ...base, walletClient }), account: account.address, wallet: "burner" };
  }
  return { client: createHydrogenClient(base), account: undefined, wallet: "none" };
}

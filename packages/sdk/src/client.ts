import { createRelayClient, type Deployment, type RelayClient } from "@hydrogen/protocol";
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { NoAccountError } from "./errors.ts";
import { type RelaySessionOptions, relaySessions } from "./session.ts";

/** A wallet client that signs as one account (a local key, or an injected EIP-1193 wallet). */
export type HydrogenWallet = WalletClient<Transport, Chain | undefined, Account>;

/** What the actions need: a chain reader, optionally a wallet, the contracts and the relay. */
export interface HydrogenClient {
  publicClient: PublicClient;
  walletClient: HydrogenWallet | undefined;
  chainId: number;
  contracts: Deployment["contracts"];
  /** The block the contracts were deployed at: event scans start here. */
  deploymentBlock: bigint;
  relay: RelayClient;
  /** How often waits poll the chain and the relay. */
  pollingIntervalMs: number;
  /** The widest block range one `eth_getLogs` asks for. */
  maxLogRange: bigint;
}

export interface CreateHydrogenClientParameters {
  publicClient: PublicClient;
  /** Needed by the actions that sign or send (createTask, uploadTaskArgs, downloadImages). */
  walletClient?: HydrogenWallet;
  /** The chain's `deployments/<chainId>.json`. */
  deployment: Pick<Deployment, "chainId" | "contracts" | "deploymentBlock">;
  relayUrl: string;
  /** Default 500 ms (a devnet); use the block time on a real chain. */
  pollingIntervalMs?: number;
  /** Per relay request. Default 30 s. */
  relayTimeoutMs?: number;
  /**
   * The widest block range one `eth_getLogs` asks for; event reads are split into such ranges.
   * Default 5,000 (what public providers commonly allow).
   */
  maxLogRange?: number;
  /**
   * Relay sessions (spec §7): the wallet signs one delegation, then a session key signs every
   * relay request. Default: on for a wallet that asks its user (EIP-1193), off for a local key
   * (it signs for free). Options set the length and a store that keeps sessions across loads.
   */
  sessions?: boolean | RelaySessionOptions;
  fetch?: typeof fetch;
}

/**
 * Binds a viem public client (and wallet) to a Hydrogen deployment and its relay.
 *
 * @example
 * const client = createHydrogenClient({
 *   publicClient: createPublicClient({ transport: http(rpcUrl) }),
 *   walletClient: createWalletClient({ account: privateKeyToAccount(key), transport: http(rpcUrl) }),
 *   deployment,
 *   relayUrl: "http://127.0.0.1:8787",
 * });
 */
export function createHydrogenClient(parameters: CreateHydrogenClientParameters): HydrogenClient {
  const { walletClient, deployment } = parameters;
  const domain = { chainId: deployment.chainId, taskManager: deployment.contracts.TaskManager };
  const sessions = parameters.sessions ?? walletClient?.account.type !== "local";
  const relay = createRelayClient({
    url: parameters.relayUrl,
    chainId: deployment.chainId,
    taskManager: deployment.contracts.TaskManager,
    signer: walletClient
      ? { signTypedData: (typedData) => walletClient.signTypedData({ ...typedData, account: walletClient.account }) }
      : undefined,
    session:
      walletClient && sessions
        ? relaySessions(walletClient, domain, typeof sessions === "object" ? sessions : {})
        : undefined,
    timeoutMs: parameters.relayTimeoutMs,
    fetch: parameters.fetch,
  });
  return {
    publicClient: parameters.publicClient,
    walletClient,
    chainId: deployment.chainId,
    contracts: deployment.contracts,
    deploymentBlock: BigInt(deployment.deploymentBlock),
    relay,
    pollingIntervalMs: parameters.pollingIntervalMs ?? 500,
    maxLogRange: BigInt(parameters.maxLogRange ?? 5_000),
  };
}

/** The client's wallet, or a typed error naming the action that needs one. */
export function requireWallet(client: HydrogenClient, action: string): HydrogenWallet {
  if (!client.walletClient) throw new NoAccountError(action);
  return client.walletClient;
}

/** The account address the client acts as, if any. */
export function accountOf(client: HydrogenClient): Address | undefined {
  return client.walletClient?.account.address;
}

/** A transport that keeps a connection open (viem's `webSocket`, `ipc`). */
interface SocketTransport {
  getRpcClient(): Promise<{ close(): void }>;
}

/**
 * Closes the WebSocket or IPC connections behind the client's transports (nothing to do over
 * HTTP). Every SDK action ends its own waits and subscriptions before it returns, but a socket
 * transport's connection, and viem's keep-alive ping on it, belong to the transport: a script
 * that used one calls this when it is done, or its process stays alive. viem shares one socket
 * per URL and options, so another client on the same URL loses its socket too.
 *
 * @example
 * await runTask(client, { args });
 * await closeHydrogenClient(client);
 */
export async function closeHydrogenClient(client: HydrogenClient): Promise<void> {
  const transports = [client.publicClient.transport, client.walletClient?.transport] as unknown as (
    | Partial<SocketTransport>
    | undefined
  )[];
  for (const transport of new Set(transports)) {
    if (typeof transport?.getRpcClient === "function") (await transport.getRpcClient()).close();
  }
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devAccount, devKey } from "@hydrogen/devnet";
import type { NodeConfigInput } from "@hydrogen/node";
import { createHydrogenClient, type HydrogenClient } from "@hydrogen/sdk";
import { type Chain, freePort, setupChain } from "@hydrogen/testnet";
import { type Address, createPublicClient, createWalletClient, http, type Transport, webSocket } from "viem";
import { foundry } from "viem/chains";
import { PROFILE_DIR, Service, waitFor } from "./processes.ts";

export const API_TOKEN = "e2e-token-0123456789abcdef";
const FIRST_NODE = 4;

export interface NetworkOptions {
  nodes?: number;
  /** Application accounts (SDK clients). */
  apps?: number;
  /** Per-node configuration on top of the defaults (e.g. a dishonest engine). */
  nodeConfig?: (index: number) => Partial<NodeConfigInput>;
  /** Extra anvil arguments, e.g. `["--block-time", "2"]`. */
  anvilArgs?: string[];
  /** The relay URL each node uses (a proxy in front of the relay). */
  relayFor?: (component: string, relayUrl: string) => Promise<string> | string;
  /** The RPC URL each component uses (a proxy in front of anvil). */
  rpcFor?: (component: string, anvilUrl: string) => Promise<string> | string;
  logLevel?: string;
  /** How often nodes poll the chain. Default 100 ms. */
  chainPollMs?: number;
  /** How often a node's open task re-reads the chain when no event woke it. Default 300 ms (the node's own default is 2 s). */
  taskPollMs?: number;
  /** The relay and nodes subscribe to new blocks over WebSocket (reads stay on HTTP). Default true. */
  subscriptions?: boolean;
  /** Blocks the relay and nodes wait before applying a log. Default 0. */
  confirmations?: number;
  /** Applications use a WebSocket transport (event subscriptions) instead of HTTP polling. Default false. */
  appWebSocket?: boolean;
}

export class E2ENode {
  apiUrl = "";
  constructor(
    readonly index: number,
    readonly address: Address,
    readonly service: Service,
  ) {}

  async api<T>(path: string, method = "GET"): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as T };
  }
}

/**
 * A network of real processes: anvil with the contracts, `hydrogen-relay` (SQLite), and
 * `hydrogen-node` processes that join by themselves; applications use the SDK.
 */
export async function startNetwork(options: NetworkOptions = {}) {
  const count = options.nodes ?? 3;
  const apps = options.apps ?? 1;
  const dir = mkdtempSync(join(tmpdir(), "hydrogen-e2e-"));
  const chain: Chain = await setupChain({ accounts: FIRST_NODE + count + apps, anvilArgs: options.anvilArgs });
  const rpc = async (component: string) =>
    (await options.rpcFor?.(component, chain.anvil.rpcUrl)) ?? chain.anvil.rpcUrl;
  const logLevel = options.logLevel ?? "info";

  // A port free when asked can be handed out again before its process binds it: keep them apart.
  const taken = new Set<number>();
  const port = async () => {
    for (;;) {
      const candidate = await freePort();
      if (taken.has(candidate)) continue;
      taken.add(candidate);
      return candidate;
    }
  };
  const relayPort = await port();
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const relay = Service.relay(
    "relay",
    {
      HYDROGEN_RELAY_PORT: String(relayPort),
      HYDROGEN_RELAY_RPC_URL: await rpc("relay"),
      HYDROGEN_RELAY_WS_URL: options.subscriptions === false ? "" : wsUrlOf(await rpc("relay")),
      HYDROGEN_RELAY_CHAIN_ID: "31337",
      HYDROGEN_RELAY_TASK_MANAGER: chain.tm.address,
      HYDROGEN_RELAY_FROM_BLOCK: String(chain.deployment.deploymentBlock),
      HYDROGEN_RELAY_DATABASE_URL: `sqlite:${join(dir, "relay.db")}`,
      HYDROGEN_RELAY_IMAGE_DIR: join(dir, "relay-images"),
      HYDROGEN_RELAY_LOG_LEVEL: logLevel,
      HYDROGEN_RELAY_CONFIG: "",
      HYDROGEN_RELAY_WORKERS: "1",
      HYDROGEN_RELAY_CONFIRMATIONS: String(options.confirmations ?? 0),
    },
    async () => (await fetch(`${relayUrl}/healthz`)).ok,
  );
  await relay.start();

  const nodes: E2ENode[] = [];
  for (let i = 0; i < count; i++) {
    const address = devAccount(FIRST_NODE + i).address;
    await chain.fund(address, BigInt(chain.deployment.parameters.stakeAmount));
    const dataDir = join(dir, `node-${i}`);
    mkdirSync(dataDir, { recursive: true });
    const config: NodeConfigInput = {
      dataDir,
      chain: {
        rpcUrl: await rpc(`node-${i}`),
        ...(options.subscriptions === false ? {} : { wsUrl: wsUrlOf(await rpc(`node-${i}`)) }),
        chainId: 31337,
        taskManager: chain.tm.address,
        fromBlock: chain.deployment.deploymentBlock,
        pollIntervalMs: options.chainPollMs ?? 100,
        confirmations: options.confirmations ?? 0,
      },
      relay: { url: (await options.relayFor?.(`node-${i}`, relayUrl)) ?? relayUrl, timeoutMs: 5000 },
      tasks: { backoffMs: 100, maxBackoffMs: 1000, pollIntervalMs: options.taskPollMs ?? 300 },
      api: { host: "127.0.0.1", port: 0, token: API_TOKEN },
      log: { level: logLevel as never },
      ...options.nodeConfig?.(i),
    };
    const configFile = join(dataDir, "node.json");
    writeFileSync(configFile, JSON.stringify(config));
    const node: E2ENode = new E2ENode(i, address, undefined as never);
    const apiPort = await port();
    node.apiUrl = `http://127.0.0.1:${apiPort}`;
    (node as { service: Service }).service = Service.node(
      `node ${i}`,
      configFile,
      {
        HYDROGEN_NODE_PRIVATE_KEY: devKey(FIRST_NODE + i),
        HYDROGEN_NODE_API_PORT: String(apiPort),
        HYDROGEN_NODE_CONFIG: "",
      },
      async () => (await fetch(`${node.apiUrl}/healthz`)).ok,
    );
    nodes.push(node);
  }
  try {
    // A few at a time: dozens of processes starting at once starve each other on a small machine.
    // An outgoing connection may still take a node's port first: it then starts on another.
    const start = async (node: E2ENode) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await node.service.start();
        } catch (error) {
          if (attempt >= 2 || !/EADDRINUSE/.test((error as Error).message)) throw error;
          const apiPort = await port();
          node.apiUrl = `http://127.0.0.1:${apiPort}`;
          node.service.env.HYDROGEN_NODE_API_PORT = String(apiPort);
        }
      }
    };
    for (let i = 0; i < nodes.length; i += 4) await Promise.all(nodes.slice(i, i + 4).map(start));
    await waitFor(
      "nodes to join",
      async () => (await chain.registry.read("availableNodeCount")) === BigInt(count),
      120_000,
    );
  } catch (error) {
    const dead = nodes
      .filter((n) => n.service.exited)
      .map(
        (n) =>
          `--- ${n.service.name} (exited ${n.service.process?.exitCode ?? n.service.process?.signalCode}) ---\n${n.service.tail(20)}`,
      );
    (error as Error).message += `\n${dead.join("\n")}`;
    await Promise.all([relay, ...nodes.map((n) => n.service)].map((s) => s.stop("SIGKILL")));
    await chain.stop();
    throw error;
  }

  const appIndex = (i: number) => FIRST_NODE + count + i;
  const clients: HydrogenClient[] = [];
  const closeTransports: (() => Promise<void>)[] = [];
  for (let i = 0; i < apps; i++) {
    const account = devAccount(appIndex(i));
    await chain.fund(account.address, 10_000n * 10n ** 18n);
    const appRpc = await rpc(`app-${i}`);
    let transport: Transport = http(appRpc);
    if (options.appWebSocket) {
      const socket = webSocket(wsUrlOf(appRpc), { reconnect: false });
      closeTransports.push(async () => (await socket({ chain: foundry }).value?.getRpcClient())?.close());
      transport = socket;
    }
    clients.push(
      createHydrogenClient({
        publicClient: createPublicClient({ chain: foundry, transport }),
        walletClient: createWalletClient({ account, chain: foundry, transport }),
        deployment: chain.deployment,
        relayUrl,
        pollingIntervalMs: 100,
      }),
    );
  }

  return {
    dir,
    chain,
    relay,
    relayUrl,
    nodes,
    apps: clients,
    app: clients[0] as HydrogenClient,
    node(index: number): E2ENode {
      const node = nodes[index];
      if (!node) throw new Error(`no node ${index}`);
      return node;
    },
    nodeOf(address: Address): E2ENode {
      const node = nodes.find((n) => n.address.toLowerCase() === address.toLowerCase());
      if (!node) throw new Error(`${address} is not a node of this network`);
      return node;
    },
    /** Logs of every process, for a failure message. */
    logs(): string {
      return [relay, ...nodes.map((n) => n.service)].map((s) => `--- ${s.name} ---\n${s.tail(15)}`).join("\n");
    },
    async stop() {
      await Promise.allSettled(closeTransports.map((close) => close()));
      const signal = PROFILE_DIR ? "SIGTERM" : "SIGKILL";
      await Promise.all(nodes.map((n) => n.service.stop(signal)));
      await relay.stop(signal);
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Network = Awaited<ReturnType<typeof startNetwork>>;

/** anvil answers WebSocket requests on its HTTP port (and so does a TCP proxy in front of it). */
function wsUrlOf(rpcUrl: string): string {
  return rpcUrl.replace(/^http/, "ws");
}

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

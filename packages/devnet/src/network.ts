import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { DeployOptions } from "@hydrogen/deploy";
import type { NodeConfigInput, NodeStatusReport, TaskSummary } from "@hydrogen/node";
import { createRelayClient, deploymentFileName, taskHash } from "@hydrogen/protocol";
import type { RelayConfigInput } from "@hydrogen/relay";
import { type Chain, type ChainOptions, devAccount, devKey, freePort, ROLES, setupChain } from "@hydrogen/testnet";
import type { Address, HDAccount } from "viem";
import { Service, waitFor } from "./service.ts";

const require = createRequire(import.meta.url);
/** The executables, next to each package's entry point. */
const NODE_BIN = join(dirname(require.resolve("@hydrogen/node")), "..", "bin", "hydrogen-node.mjs");
const RELAY_BIN = join(dirname(require.resolve("@hydrogen/relay")), "..", "bin", "hydrogen-relay.mjs");

/** The management API token of every node of a network started by `startNetwork`. */
export const NETWORK_API_TOKEN = "network-token-0123456789abcdef";

export interface NetworkOptions {
  /** Where the network keeps its state; a new temporary directory (removed on stop) when absent. */
  dir?: string;
  /** Synthetic nodes, each holding exactly one stake. Default 3. */
  nodes?: number;
  /** Application accounts after the nodes', each funded with `appFunds`. Default 0. */
  apps?: number;
  /** CNX per application account, in wei. Default 10,000 CNX. */
  appFunds?: bigint;
  /** Per-node configuration on top of the defaults (e.g. a dishonest engine). */
  nodeConfig?: (index: number) => Partial<NodeConfigInput>;
  /** Relay configuration on top of the defaults (top-level sections replaced, `limits` and `rateLimit` merged). */
  relayConfig?: Partial<RelayConfigInput>;
  /** Contract parameters on top of the test defaults. */
  deploy?: Partial<DeployOptions>;
  /** Extra anvil arguments, e.g. `["--block-time", "2"]`. */
  anvilArgs?: string[];
  /** The EVM implementation: anvil (default) or Hardhat's `hardhat node` (with its chain id and block interval). */
  node?: ChainOptions["node"];
  hardhat?: ChainOptions["hardhat"];
  /** Fixed ports; free ones when absent. */
  ports?: { anvil?: number; relay?: number };
  /** The RPC URL a component (`relay`, `node-<i>`, `app-<i>`) uses, e.g. a proxy in front of anvil. */
  rpcFor?: (component: string, anvilUrl: string) => Promise<string> | string;
  /** The relay URL node `node-<i>` uses, e.g. a proxy in front of the relay. */
  relayFor?: (component: string, relayUrl: string) => Promise<string> | string;
  /** The relay's and the nodes' log level. Default "info". */
  logLevel?: string;
  /** Each process's whole output is appended to `<logDir>/<name>.log` as well. */
  logDir?: string;
  /** Each process writes a V8 CPU profile here (and is then stopped with SIGTERM). */
  profileDir?: string;
  /** How often nodes poll the chain. Default 100 ms. */
  chainPollMs?: number;
  /** How often a node's open task re-reads the chain when no event woke it. Default 300 ms. */
  taskPollMs?: number;
  /** The relay and nodes subscribe to new blocks over WebSocket (reads stay on HTTP). Default true. */
  subscriptions?: boolean;
  /** Blocks the relay and nodes wait before applying a log. Default 0. */
  confirmations?: number;
  /** The widest `eth_getLogs` range the relay and nodes ask for (a provider's cap). Default theirs (2,000). */
  maxRange?: number;
  /** Start the nodes and wait until all joined. Default true; else call `startNodes()`. */
  startNodes?: boolean;
  /** How `stop()` ends the processes. Default SIGKILL (SIGTERM with `profileDir`). */
  stopSignal?: NodeJS.Signals;
}

/** A `hydrogen-node` process of the network; a new API port at each start. */
export class NetworkNode {
  apiUrl = "";
  readonly apiToken = NETWORK_API_TOKEN;

  constructor(
    readonly index: number,
    readonly address: Address,
    readonly dataDir: string,
    readonly service: Service,
    private readonly port: () => Promise<number>,
  ) {}

  get process() {
    return this.service.process;
  }

  get exited(): boolean {
    return this.service.exited;
  }

  /**
   * Starts the process (again) and waits for its API; `env` adds variables (e.g. a crash
   * point). An outgoing connection may take the chosen port first: it then tries another.
   */
  async start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const port = await this.port();
      this.apiUrl = `http://127.0.0.1:${port}`;
      this.service.env.HYDROGEN_NODE_API_PORT = String(port);
      try {
        return await this.service.start(env);
      } catch (error) {
        if (attempt >= 2 || !/EADDRINUSE/.test((error as Error).message)) throw error;
      }
    }
  }

  /** Sends `signal` (default SIGTERM) and resolves with the exit signal or code. */
  stop(signal: NodeJS.Signals = "SIGTERM"): Promise<string> {
    return this.service.stop(signal);
  }

  /** Resolves with the exit signal or code once the process has exited. */
  exit(timeoutMs?: number): Promise<string> {
    return this.service.exit(timeoutMs);
  }

  tail(lines = 40): string {
    return this.service.tail(lines);
  }

  /** A management API request with the node's token; the body parsed when there is one. */
  async api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.apiToken}`, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async status(): Promise<NodeStatusReport> {
    return (await this.api<NodeStatusReport>("/api/status")).body;
  }

  async task(taskId: bigint): Promise<TaskSummary | undefined> {
    const { status, body } = await this.api<TaskSummary>(`/api/tasks/${taskId}`);
    return status === 200 ? body : undefined;
  }
}

/**
 * A network of real processes, the one harness of the devnet, the e2e suite and the packages'
 * network tests: anvil with the contracts (its deployment file written), a `hydrogen-relay`
 * process on SQLite, and `hydrogen-node` processes with synthetic engines that join by
 * themselves. Accounts follow `ROLES`: deployer, incentive pool, two creators, the nodes, then
 * the applications.
 *
 * @example
 * const network = await startNetwork({ nodes: 3, apps: 1 });
 * const { taskId } = await network.createTask(JSON.stringify(args));
 * await network.stop();
 */
export async function startNetwork(options: NetworkOptions = {}) {
  const count = options.nodes ?? 3;
  const apps = options.apps ?? 0;
  const temporary = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "hydrogen-network-"));
  const logLevel = options.logLevel ?? "info";
  const stopSignal = options.stopSignal ?? (options.profileDir ? "SIGTERM" : "SIGKILL");
  const chain: Chain = await setupChain({
    accounts: ROLES.firstNode + count + apps,
    anvilArgs: options.anvilArgs,
    node: options.node,
    hardhat: options.hardhat,
    port: options.ports?.anvil,
    deploy: options.deploy,
  });
  const services: Service[] = [];
  try {
    const rpc = async (component: string) =>
      (await options.rpcFor?.(component, chain.anvil.rpcUrl)) ?? chain.anvil.rpcUrl;
    const wsFor = async (component: string) =>
      options.subscriptions === false ? undefined : wsUrlOf(await rpc(component));
    const port = portAllocator();
    const logFile = (name: string) => (options.logDir ? join(options.logDir, `${name}.log`) : undefined);
    const profile = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [];

    const deploymentFile = join(dir, "deployments", deploymentFileName(chain.deployment.chainId));
    mkdirSync(dirname(deploymentFile), { recursive: true });
    writeFileSync(deploymentFile, `${JSON.stringify(chain.deployment, null, 2)}\n`);
    if (options.logDir) mkdirSync(options.logDir, { recursive: true });

    const relayPort = options.ports?.relay || (await port());
    const relayUrl = `http://127.0.0.1:${relayPort}`;
    const relayFile = join(dir, "relay", "relay.json");
    mkdirSync(dirname(relayFile), { recursive: true });
    writeFileSync(
      relayFile,
      JSON.stringify(
        relayConfig(options, {
          listen: { host: "127.0.0.1", port: relayPort },
          chain: {
            rpcUrl: await rpc("relay"),
            wsUrl: await wsFor("relay"),
            chainId: chain.deployment.chainId,
            deployment: deploymentFile,
            pollIntervalMs: 100,
            confirmations: options.confirmations ?? 0,
            ...(options.maxRange ? { maxRange: options.maxRange } : {}),
          },
          database: { url: `sqlite:${join(dir, "relay", "relay.db")}` },
          images: { store: "files", dir: join(dir, "relay", "images") },
          log: { level: logLevel as never },
          workers: 1,
        }),
      ),
    );
    const relay = new Service(
      "relay",
      [process.execPath, ...profile, RELAY_BIN, "--config", relayFile],
      { HYDROGEN_RELAY_CONFIG: "" },
      async () => (await fetch(`${relayUrl}/healthz`)).ok,
      logFile("relay"),
    );
    services.push(relay);
    await relay.start();

    const nodes: NetworkNode[] = [];
    for (let i = 0; i < count; i++) {
      const account = devAccount(ROLES.firstNode + i);
      await chain.fund(account.address, BigInt(chain.deployment.parameters.stakeAmount));
      const dataDir = join(dir, `node-${i}`);
      mkdirSync(dataDir, { recursive: true });
      const ws = await wsFor(`node-${i}`);
      const config: NodeConfigInput = {
        dataDir,
        chain: {
          rpcUrl: await rpc(`node-${i}`),
          ...(ws ? { wsUrl: ws } : {}),
          chainId: chain.deployment.chainId,
          deployment: deploymentFile,
          pollIntervalMs: options.chainPollMs ?? 100,
          confirmations: options.confirmations ?? 0,
          ...(options.maxRange ? { maxRange: options.maxRange } : {}),
        },
        relay: { url: (await options.relayFor?.(`node-${i}`, relayUrl)) ?? relayUrl, timeoutMs: 5000 },
        engine: { kind: "synthetic" },
        tasks: { backoffMs: 100, maxBackoffMs: 1000, pollIntervalMs: options.taskPollMs ?? 300 },
        api: { host: "127.0.0.1", port: 0, token: NETWORK_API_TOKEN },
        log: { level: logLevel as never },
        ...options.nodeConfig?.(i),
      };
      const configFile = join(dataDir, "node.json");
      writeFileSync(configFile, JSON.stringify(config));
      // Run as an executable, so its shebang's V8 flags apply as they do for operators (the
      // flag is repeated when node is run explicitly, to profile).
      const command = profile.length ? [process.execPath, "--max-semi-space-size=2", ...profile, NODE_BIN] : [NODE_BIN];
      let node: NetworkNode | undefined;
      const service = new Service(
        `node-${i}`,
        [...command, "--config", configFile],
        { HYDROGEN_NODE_PRIVATE_KEY: devKey(ROLES.firstNode + i), HYDROGEN_NODE_CONFIG: "" },
        async () => (await fetch(`${node?.apiUrl}/healthz`)).ok,
        logFile(`node-${i}`),
      );
      node = new NetworkNode(i, account.address, dataDir, service, port);
      services.push(service);
      nodes.push(node);
    }

    const appAccounts: HDAccount[] = [];
    for (let i = 0; i < apps; i++) {
      const account = devAccount(ROLES.firstNode + count + i);
      await chain.fund(account.address, options.appFunds ?? 10_000n * 10n ** 18n);
      appAccounts.push(account);
    }

    const creator = createRelayClient({
      url: relayUrl,
      chainId: chain.deployment.chainId,
      taskManager: chain.deployment.contracts.TaskManager,
      signer: devAccount(ROLES.app),
    });

    const network = {
      dir,
      chain,
      deploymentFile,
      relay,
      relayUrl,
      nodes,
      /** Funded application accounts, for SDK clients. */
      appAccounts,
      /** A relay client signed by the chain's first creator (`chain.creator`). */
      creator,
      /** The RPC URL for a component (through `rpcFor`). */
      rpcUrl: rpc,
      /**
       * Starts every node (a few at a time: dozens of processes starting at once starve each
       * other on a small machine) and waits until all are in the network.
       */
      async startNodes(env: (index: number) => NodeJS.ProcessEnv = () => ({})): Promise<void> {
        try {
          for (let i = 0; i < nodes.length; i += 4) {
            await Promise.all(nodes.slice(i, i + 4).map((node) => node.start(env(node.index))));
          }
          await waitFor(
            "nodes to join",
            async () => (await chain.registry.read("availableNodeCount")) === BigInt(count),
            120_000,
          );
        } catch (error) {
          const dead = nodes
            .filter((n) => n.exited && n.process)
            .map(
              (n) =>
                `--- ${n.service.name} (exited ${n.process?.exitCode ?? n.process?.signalCode}) ---\n${n.tail(20)}`,
            );
          (error as Error).message += `\n${dead.join("\n")}`;
          throw error;
        }
      },
      /** Creates a task on chain from `chain.creator` and uploads its arguments (unless `upload` is false). */
      async createTask(args: string, upload = true): Promise<{ taskId: bigint; nodes: Address[] }> {
        const created = await chain.createTask(chain.creator, taskHash(args));
        if (upload) {
          await waitFor("the relay to see the task", async () => {
            await creator.uploadTaskArgs(created.taskId, args);
            return true;
          });
        }
        return { taskId: created.taskId, nodes: created.nodes };
      },
      /** Waits until `node` has settled the task in its store; returns the summary. */
      async settled(node: NetworkNode, taskId: bigint, timeoutMs = 60_000): Promise<TaskSummary> {
        return waitFor(
          `node ${node.index} to settle task ${taskId}`,
          async () => {
            if (node.exited) return undefined;
            const task = await node.task(taskId);
            return task?.phase === "settled" ? task : undefined;
          },
          timeoutMs,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n--- node ${node.index} log ---\n${node.tail()}`);
        });
      },
      node(index: number): NetworkNode {
        const node = nodes[index];
        if (!node) throw new Error(`no node ${index}`);
        return node;
      },
      nodeOf(address: Address): NetworkNode {
        const node = nodes.find((n) => n.address.toLowerCase() === address.toLowerCase());
        if (!node) throw new Error(`${address} is not a node of this network`);
        return node;
      },
      /** The last lines of every process's output, for a failure message. */
      logs(): string {
        return services.map((s) => `--- ${s.name} ---\n${s.tail(15)}`).join("\n");
      },
      /** Stops the nodes, the relay and anvil, and removes a temporary directory. */
      async stop(signal: NodeJS.Signals = stopSignal): Promise<void> {
        await Promise.all(nodes.map((n) => n.stop(signal)));
        await relay.stop(signal);
        await chain.stop();
        if (temporary) rmSync(dir, { recursive: true, force: true });
      },
    };
    if (options.startNodes !== false) await network.startNodes();
    return network;
  } catch (error) {
    await Promise.all(services.map((s) => s.stop("SIGKILL")));
    await chain.stop();
    if (temporary) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export type Network = Awaited<ReturnType<typeof startNetwork>>;

/**
 * Free ports that this network has not handed out yet: a port free when asked can be handed
 * out again before its process binds it.
 */
function portAllocator(): () => Promise<number> {
  const taken = new Set<number>();
  return async () => {
    for (;;) {
      const candidate = await freePort();
      if (taken.has(candidate)) continue;
      taken.add(candidate);
      return candidate;
    }
  };
}

function relayConfig(options: NetworkOptions, defaults: RelayConfigInput): RelayConfigInput {
  const extra = options.relayConfig ?? {};
  return {
    ...defaults,
    ...extra,
    ...(extra.limits ? { limits: { ...defaults.limits, ...extra.limits } } : {}),
    ...(extra.rateLimit ? { rateLimit: { ...defaults.rateLimit, ...extra.rateLimit } } : {}),
  };
}

/** anvil answers WebSocket requests on its HTTP port (and so does a TCP proxy in front of it). */
export function wsUrlOf(rpcUrl: string): string {
  return rpcUrl.replace(/^http/, "ws");
}

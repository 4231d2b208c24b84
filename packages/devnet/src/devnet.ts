import { createWriteStream, mkdirSync, rmSync, type WriteStream, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { deployHydrogen } from "@hydrogen/deploy";
import { type HydrogenNode, parseConfig as parseNodeConfig, startNode } from "@hydrogen/node";
import { cnxAbi, type Deployment, deploymentFileName, nodeRegistryAbi } from "@hydrogen/protocol";
import { parseConfig as parseRelayConfig, type Relay, startRelay } from "@hydrogen/relay";
import { type Anvil, type DevAccount, describeAccount, devAccount, devKey, ROLES, startAnvil } from "@hydrogen/testnet";
import pino from "pino";
import { createPublicClient, createWalletClient, http, parseEther } from "viem";
import { foundry } from "viem/chains";
import { serveWebApp } from "./web.ts";

export interface DevnetOptions {
  /** Where the devnet keeps its state and logs; emptied on start. */
  dir: string;
  /** Synthetic nodes. Default 3. */
  nodes?: number;
  /** 0 (the default for each) picks a free port. */
  ports?: { anvil?: number; relay?: number; web?: number };
  /** Mine a block every this many seconds; instant mining when absent. */
  blockTimeSeconds?: number;
  /** The contracts' task timeout. Default 60 s, so a stuck task is cancelled quickly. */
  taskTimeoutSeconds?: number;
  /** The built web app (`packages/web/dist`); no web server when absent. */
  webDir?: string;
  /** CNX each application account (the CLI's and the burner) receives. Default 10,000. */
  appFunds?: bigint;
  /** The relay's published task-arguments limit (bytes); the schema's largest by default. */
  relayArgsBytes?: number;
  /** Reports each step ("anvil", "contracts", …) as it completes. */
  onStep?: (step: string) => void;
}

export interface DevnetNode {
  index: number;
  address: `0x${string}`;
  apiUrl: string;
  apiToken: string;
  dataDir: string;
  logFile: string;
}

/** A running devnet: where everything is, and `close()`. */
export interface Devnet {
  dir: string;
  chainId: number;
  rpcUrl: string;
  relayUrl: string;
  webUrl: string | undefined;
  deployment: Deployment;
  deploymentFile: string;
  accounts: DevAccount[];
  /** The CLI's application account and the web app's burner. */
  app: DevAccount;
  burner: DevAccount;
  nodes: DevnetNode[];
  logs: { relay: string; nodes: string[] };
  /** `devnet.json`: all of the above, for `hydrogen task …` to find the devnet. */
  stateFile: string;
  /** Stops the web server, the nodes, the relay and anvil (reverse of start). */
  close(): Promise<void>;
}

/**
 * Starts a complete local network (spec §11): anvil, the contracts parameterised for fast
 * tasks, funded accounts, a relay on SQLite, synthetic nodes that join by themselves, and the
 * web app.
 *
 * @example
 * const devnet = await startDevnet({ dir: ".hydrogen/devnet", webDir: "packages/web/dist" });
 * console.log(devnet.webUrl);
 * await devnet.close();
 */
export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const dir = resolve(options.dir);
  const count = options.nodes ?? 3;
  const step = options.onStep ?? (() => {});
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "logs"), { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };
  try {
    const anvil = await startAnvil({
      port: options.ports?.anvil || undefined,
      args: [
        "--accounts",
        String(ROLES.firstNode + count),
        ...(options.blockTimeSeconds ? ["--block-time", String(options.blockTimeSeconds)] : []),
      ],
    });
    closers.push(() => anvil.stop());
    step("anvil");

    const deployment = await deploy(anvil, options);
    const deploymentFile = join(dir, "deployments", deploymentFileName(deployment.chainId));
    mkdirSync(join(dir, "deployments"), { recursive: true });
    writeFileSync(deploymentFile, `${JSON.stringify(deployment, null, 2)}\n`);
    step("contracts");

    await fund(anvil, deployment, count, options.appFunds ?? parseEther("10000"));
    step("accounts");

    const relayLog = join(dir, "logs", "relay.log");
    const relay = await startDevnetRelay(anvil, deployment, dir, relayLog, options.ports?.relay ?? 0, options);
    closers.push(() => relay.close());
    step("relay");

    const nodes: DevnetNode[] = [];
    const running: HydrogenNode[] = [];
    for (let i = 0; i < count; i++) {
      const { node, info, log } = await startDevnetNode(i, anvil, relay, deploymentFile, dir);
      running.push(node);
      nodes.push(info);
      closers.push(async () => {
        await node.close();
        await new Promise((done) => log.end(done));
      });
    }
    await waitForNodes(anvil, deployment, count);
    step("nodes");

    const app = describeAccount("app", ROLES.app);
    const burner = describeAccount("burner", ROLES.burner);
    let webUrl: string | undefined;
    if (options.webDir) {
      const web = await serveWebApp({
        dir: resolve(options.webDir),
        host: "127.0.0.1",
        port: options.ports?.web ?? 0,
        config: {
          chainId: deployment.chainId,
          rpcUrl: anvil.rpcUrl,
          relayUrl: relay.url,
          deployment,
          burner: { address: burner.address, privateKey: burner.privateKey },
          pollingIntervalMs: 250,
        },
      });
      webUrl = web.url;
      closers.push(() => web.app.close());
      step("web");
    }

    const devnet: Devnet = {
      dir,
      chainId: deployment.chainId,
      rpcUrl: anvil.rpcUrl,
      relayUrl: relay.url,
      webUrl,
      deployment,
      deploymentFile,
      accounts: [
        describeAccount("deployer", ROLES.deployer),
        describeAccount("incentivePool", ROLES.incentivePool),
        app,
        burner,
        ...nodes.map((n) => describeAccount(`node ${n.index}`, ROLES.firstNode + n.index)),
      ],
      app,
      burner,
      nodes,
      logs: { relay: relayLog, nodes: nodes.map((n) => n.logFile) },
      stateFile: join(dir, "devnet.json"),
      close,
    };
    const { close: _, ...state } = devnet;
    writeFileSync(devnet.stateFile, `${JSON.stringify(state, null, 2)}\n`);
    return devnet;
  } catch (error) {
    await close();
    throw error;
  }
}

async function deploy(anvil: Anvil, options: DevnetOptions): Promise<Deployment> {
  const transport = http(anvil.rpcUrl);
  const publicClient = createPublicClient({ chain: foundry, transport });
  const wallet = createWalletClient({ account: devAccount(ROLES.deployer), chain: foundry, transport });
  return deployHydrogen(wallet, publicClient, {
    incentivePool: devAccount(ROLES.incentivePool).address,
    taskTimeoutSeconds: options.taskTimeoutSeconds ?? 60,
  });
}

/** CNX for the application accounts, and exactly one stake for each node. */
async function fund(anvil: Anvil, deployment: Deployment, nodes: number, appFunds: bigint): Promise<void> {
  const transport = http(anvil.rpcUrl);
  const publicClient = createPublicClient({ chain: foundry, transport });
  const wallet = createWalletClient({ account: devAccount(ROLES.deployer), chain: foundry, transport });
  const stake = BigInt(deployment.parameters.stakeAmount);
  const grants: [number, bigint][] = [
    [ROLES.app, appFunds],
    [ROLES.burner, appFunds],
    ...Array.from({ length: nodes }, (_, i): [number, bigint] => [ROLES.firstNode + i, stake]),
  ];
  const hashes: `0x${string}`[] = [];
  for (const [index, amount] of grants) {
    hashes.push(
      await wallet.writeContract({
        address: deployment.contracts.CNX,
        abi: cnxAbi,
        functionName: "transfer",
        args: [devAccount(index).address, amount],
      }),
    );
  }
  for (const hash of hashes) await publicClient.waitForTransactionReceipt({ hash });
}

async function startDevnetRelay(
  anvil: Anvil,
  deployment: Deployment,
  dir: string,
  logFile: string,
  port: number,
  options: Pick<DevnetOptions, "relayArgsBytes">,
): Promise<Relay> {
  const config = parseRelayConfig({
    listen: { host: "127.0.0.1", port },
    chain: {
      rpcUrl: anvil.rpcUrl,
      wsUrl: wsUrlOf(anvil.rpcUrl),
      chainId: deployment.chainId,
      taskManager: deployment.contracts.TaskManager,
      fromBlock: deployment.deploymentBlock,
      pollIntervalMs: 200,
    },
    database: { url: `sqlite:${join(dir, "relay", "relay.db")}` },
    images: { store: "files", dir: join(dir, "relay", "images") },
    // Every node, application and browser of a devnet shares one address: only per-signer budgets.
    rateLimit: { allowList: ["127.0.0.1", "::1"] },
    ...(options.relayArgsBytes ? { limits: { taskArgsBytes: options.relayArgsBytes } } : {}),
  });
  mkdirSync(join(dir, "relay"), { recursive: true });
  return startRelay(config, { log: pino({ level: "info" }, pino.destination({ dest: logFile, sync: false })) });
}

async function startDevnetNode(index: number, anvil: Anvil, relay: Relay, deploymentFile: string, dir: string) {
  const dataDir = join(dir, `node-${index}`);
  const logFile = join(dir, "logs", `node-${index}.log`);
  const config = parseNodeConfig({
    dataDir,
    chain: {
      rpcUrl: anvil.rpcUrl,
      wsUrl: wsUrlOf(anvil.rpcUrl),
      chainId: 31337,
      deployment: deploymentFile,
      pollIntervalMs: 200,
    },
    relay: { url: relay.url, timeoutMs: 10_000 },
    engine: { kind: "synthetic" },
    tasks: { backoffMs: 200, maxBackoffMs: 2000, pollIntervalMs: 500 },
    api: { host: "127.0.0.1", port: 0 },
    log: { level: "info" },
  });
  const log: WriteStream = createWriteStream(logFile, { flags: "a" });
  const node = await startNode(config, {
    env: { HYDROGEN_NODE_PRIVATE_KEY: devKey(ROLES.firstNode + index) },
    logDestination: log,
  });
  const info: DevnetNode = {
    index,
    address: node.address,
    apiUrl: node.apiUrl,
    apiToken: node.apiToken,
    dataDir,
    logFile,
  };
  return { node, info, log };
}

async function waitForNodes(anvil: Anvil, deployment: Deployment, count: number): Promise<void> {
  const publicClient = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const available = await publicClient.readContract({
      address: deployment.contracts.NodeRegistry,
      abi: nodeRegistryAbi,
      functionName: "availableNodeCount",
    });
    if (available >= BigInt(count)) return;
    if (Date.now() > deadline) throw new Error(`only ${available} of ${count} nodes joined within 60 s`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** anvil answers WebSocket requests on its HTTP port. */
function wsUrlOf(rpcUrl: string): string {
  return rpcUrl.replace(/^http/, "ws");
}

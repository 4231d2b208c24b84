import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Deployment } from "@hydrogen/protocol";
import { Shutdown } from "@hydrogen/service";
import { type DevAccount, describeAccount, ROLES } from "@hydrogen/testnet";
import { parseEther } from "viem";
import { startNetwork } from "./network.ts";
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
  const logDir = join(dir, "logs");
  mkdirSync(logDir, { recursive: true });
  const network = await startNetwork({
    dir,
    nodes: count,
    logDir,
    ports: { anvil: options.ports?.anvil, relay: options.ports?.relay },
    anvilArgs: options.blockTimeSeconds ? ["--block-time", String(options.blockTimeSeconds)] : [],
    deploy: { taskTimeoutSeconds: options.taskTimeoutSeconds ?? 60 },
    // Every node, application and browser of a devnet shares one address: only per-signer budgets.
    relayConfig: {
      rateLimit: { allowList: ["127.0.0.1", "::1"] },
      ...(options.relayArgsBytes ? { limits: { taskArgsBytes: options.relayArgsBytes } } : {}),
    },
    chainPollMs: 200,
    taskPollMs: 500,
    stopSignal: "SIGTERM",
  });
  const shutdown = new Shutdown();
  shutdown.add("network", () => network.stop());
  const close = () => shutdown.close();
  return shutdown.guard(async () => {
    step("network");
    const appFunds = options.appFunds ?? parseEther("10000");
    await network.chain.fund(network.chain.creator, appFunds);
    await network.chain.fund(network.chain.creator2, appFunds);
    step("accounts");

    const { deployment } = network.chain;
    const rpcUrl = network.chain.anvil.rpcUrl;
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
          rpcUrl,
          relayUrl: network.relayUrl,
          deployment,
          burner: { address: burner.address, privateKey: burner.privateKey },
          pollingIntervalMs: 250,
          faucet: "/faucet",
        },
        faucet: async (address) => {
          const eth = parseEther("1");
          const cnx = parseEther("1000");
          const balance = await network.chain.publicClient.getBalance({ address });
          await network.chain.testClient.setBalance({ address, value: balance + eth });
          await network.chain.fund(address, cnx);
          return { eth: eth.toString(), cnx: cnx.toString() };
        },
      });
      webUrl = web.url;
      shutdown.add("web", () => web.app.close());
      step("web");
    }

    const nodes: DevnetNode[] = network.nodes.map((node) => ({
      index: node.index,
      address: node.address,
      apiUrl: node.apiUrl,
      apiToken: node.apiToken,
      dataDir: node.dataDir,
      logFile: join(logDir, `${node.service.name}.log`),
    }));
    const devnet: Devnet = {
      dir,
      chainId: deployment.chainId,
      rpcUrl,
      relayUrl: network.relayUrl,
      webUrl,
      deployment,
      deploymentFile: network.deploymentFile,
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
      logs: { relay: join(logDir, "relay.log"), nodes: nodes.map((n) => n.logFile) },
      stateFile: join(dir, "devnet.json"),
      close,
    };
    const { close: _, ...state } = devnet;
    writeFileSync(devnet.stateFile, `${JSON.stringify(state, null, 2)}\n`);
    return devnet;
  });
}

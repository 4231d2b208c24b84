import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRelayClient, taskHash } from "@hydrogen/protocol";
import { parseConfig as parseRelayConfig, type Relay, startRelay } from "@hydrogen/relay";
import { type Chain, freePort, STAKE, setupChain } from "@hydrogen/testnet";
import pino from "pino";
import { type Address, bytesToHex, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type { NodeConfigInput, NodeStatusReport, TaskSummary } from "../../src/index.ts";

const BIN = fileURLToPath(new URL("../../bin/hydrogen-node.mjs", import.meta.url));
const MNEMONIC = "test test test test test test test test test test test junk";
export const API_TOKEN = "test-token-0123456789abcdef";

/** The private key of anvil dev account `index`. */
export function devKey(index: number): Hex {
  const key = mnemonicToAccount(MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  assert.ok(key);
  return bytesToHex(key);
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
}

/** A `hydrogen-node` process. */
export class NodeProcess {
  process: ChildProcess | undefined;
  readonly output: string[] = [];
  apiUrl = "";

  constructor(
    readonly index: number,
    readonly address: Address,
    readonly dataDir: string,
    private readonly configFile: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts the process (again) and waits for its API; `env` adds variables (e.g. a crash point). */
  async start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    const port = await freePort();
    this.apiUrl = `http://127.0.0.1:${port}`;
    // Run as an executable, so its shebang's V8 flags apply as they do for operators.
    const child = spawn(BIN, ["--config", this.configFile], {
      env: { ...process.env, ...this.env, HYDROGEN_NODE_API_PORT: String(port), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.process = child;
    child.stdout?.on("data", (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => this.output.push(chunk.toString()));
    await waitFor(`node ${this.index} API`, async () => {
      if (child.exitCode !== null || child.signalCode !== null) return true;
      return (await fetch(`${this.apiUrl}/healthz`)).ok;
    });
  }

  get exited(): boolean {
    return !this.process || this.process.exitCode !== null || this.process.signalCode !== null;
  }

  /** Resolves when the process has exited, with its signal or code. */
  async exit(timeoutMs = 30_000): Promise<string> {
    const child = this.process;
    if (!child) return "not started";
    if (child.exitCode !== null || child.signalCode !== null) return String(child.signalCode ?? child.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.index} did not exit:\n${this.tail()}`)), timeoutMs);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        resolve(String(signal ?? code));
      });
    });
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<string> {
    if (this.exited) return "exited";
    this.process?.kill(signal);
    return this.exit();
  }

  async api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers as Record<string, string>) },
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

  tail(lines = 40): string {
    return this.output.join("").split("\n").slice(-lines).join("\n");
  }
}

export interface NetworkOptions {
  nodes?: number;
  /** Config for node `i` on top of the defaults. */
  nodeConfig?: (index: number) => Partial<NodeConfigInput>;
  /** Points the nodes at another RPC URL (a proxy in front of anvil). */
  rpcUrl?: (anvilUrl: string) => Promise<string> | string;
  relayUrl?: (relay: Relay) => Promise<string> | string;
}

/**
 * anvil with the contracts, a relay (in process, SQLite), and `nodes` node processes whose
 * accounts hold exactly one stake of CNX (they join by themselves on start).
 */
export async function startNetwork(options: NetworkOptions = {}) {
  const count = options.nodes ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "hydrogen-node-"));
  const chain: Chain = await setupChain({ accounts: 4 + count });
  const relay = await startRelay(
    parseRelayConfig({
      listen: { host: "127.0.0.1", port: 0 },
      chain: {
        rpcUrl: chain.anvil.rpcUrl,
        chainId: 31337,
        taskManager: chain.tm.address,
        fromBlock: chain.deployment.deploymentBlock,
        pollIntervalMs: 50,
      },
      database: { url: `sqlite:${join(dir, "relay.db")}` },
      images: { store: "files", dir: join(dir, "relay-images") },
    }),
    { log: pino({ level: process.env.NODE_TEST_LOG ?? "silent" }) },
  );
  const rpcUrl = options.rpcUrl ? await options.rpcUrl(chain.anvil.rpcUrl) : chain.anvil.rpcUrl;
  const relayUrl = options.relayUrl ? await options.relayUrl(relay) : relay.url;
  const nodes: NodeProcess[] = [];
  for (let i = 0; i < count; i++) {
    const address = chain.nodes[i] as Address;
    await chain.fund(address, STAKE);
    const dataDir = join(dir, `node-${i}`);
    mkdirSync(dataDir, { recursive: true });
    const config: NodeConfigInput = {
      dataDir,
      chain: {
        rpcUrl,
        chainId: 31337,
        taskManager: chain.tm.address,
        fromBlock: chain.deployment.deploymentBlock,
        pollIntervalMs: 100,
      },
      relay: { url: relayUrl, timeoutMs: 5000 },
      tasks: { backoffMs: 100, maxBackoffMs: 1000, pollIntervalMs: 300 },
      api: { host: "127.0.0.1", port: 0, token: API_TOKEN },
      log: { level: "info" },
      ...options.nodeConfig?.(i),
    };
    const configFile = join(dataDir, "node.json");
    writeFileSync(configFile, JSON.stringify(config));
    nodes.push(
      new NodeProcess(i, address, dataDir, configFile, {
        HYDROGEN_NODE_PRIVATE_KEY: devKey(4 + i),
        HYDROGEN_NODE_CONFIG: "",
      }),
    );
  }
  const creator = createRelayClient({
    url: relay.url,
    chainId: 31337,
    taskManager: chain.tm.address,
    signer: mnemonicToAccount(MNEMONIC, { addressIndex: 2 }),
  });

  return {
    chain,
    relay,
    nodes,
    creator,
    dir,
    /** Starts every node and waits until all are in the network. */
    async startNodes(env: (index: number) => NodeJS.ProcessEnv = () => ({})) {
      await Promise.all(nodes.map((node, i) => node.start(env(i))));
      await waitFor("nodes to join", async () => (await chain.registry.read("availableNodeCount")) === BigInt(count));
    },
    /** Creates a task on chain and uploads its arguments (unless `upload` is false). */
    async createTask(args: string, upload = true): Promise<{ taskId: bigint; nodes: Address[] }> {
      const created = await chain.createTask(chain.creator, taskHash(args));
      if (upload) {
        await waitFor("relay to see the task", async () => {
          await creator.uploadTaskArgs(created.taskId, args);
          return true;
        });
      }
      return { taskId: created.taskId, nodes: created.nodes };
    },
    /** Waits until node `node` has settled the task in its store; returns the summary. */
    async settled(node: NodeProcess, taskId: bigint, timeoutMs = 60_000): Promise<TaskSummary> {
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
    node(index: number): NodeProcess {
      const node = nodes[index];
      assert.ok(node, `no node ${index}`);
      return node;
    },
    nodeOf(address: Address): NodeProcess {
      const node = nodes.find((n) => n.address.toLowerCase() === address.toLowerCase());
      assert.ok(node, `${address} is not one of the network's nodes`);
      return node;
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop("SIGKILL")));
      await relay.close();
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Network = Awaited<ReturnType<typeof startNetwork>>;

/** Task arguments (the exact JSON string) for the synthetic engine: small images, fast. */
export function taskArgs(options: { images?: number; seed?: number; size?: number; extra?: object } = {}): string {
  const size = options.size ?? 128;
  return JSON.stringify({
    base_model: "org/model",
    prompt: "a lighthouse at dawn",
    task_config: { seed: options.seed ?? 1, num_images: options.images ?? 2, image_width: size, image_height: size },
    ...options.extra,
  });
}

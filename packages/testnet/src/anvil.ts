import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** A running local chain node (anvil or Hardhat). */
export interface LocalNode {
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  /** Stops the chain and waits for the process to exit. */
  stop(): Promise<void>;
}

/** A running anvil chain. */
export type Anvil = LocalNode;

export interface AnvilOptions {
  /** Port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** Extra command-line arguments, e.g. `["--block-time", "2"]`. */
  args?: string[];
  /** How long to wait for anvil to listen. Default 30 s. */
  startTimeoutMs?: number;
}

/** The anvil executable shipped by `@foundry-rs/anvil`'s platform package (no download). */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  return join(dirname(require.resolve(`${pkg}/package.json`)), "bin", "anvil");
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts anvil on 127.0.0.1 and resolves once it accepts requests.
 *
 * @example
 * const anvil = await startAnvil({ args: ["--accounts", "20"] });
 * // … use anvil.rpcUrl …
 * await anvil.stop();
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const port = options.port ?? (await freePort());
  return startLocalNode({
    name: "anvil",
    command: anvilBinary(),
    args: ["--host", "127.0.0.1", "--port", String(port), ...(options.args ?? [])],
    port,
    startTimeoutMs: options.startTimeoutMs,
    // `ANVIL_LOG=/some/file`: anvil's whole output (one line per RPC method called, unless
    // `--silent`) goes to `/some/file.<pid>` as well, to count what a benchmark asks of the chain.
    logFile: process.env.ANVIL_LOG,
  });
}

/** A chain node process started on 127.0.0.1, resolved once it answers `eth_chainId`. */
export async function startLocalNode(options: {
  name: string;
  command: string;
  args: string[];
  port: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  startTimeoutMs?: number;
  logFile?: string;
}): Promise<LocalNode> {
  const child = spawn(options.command, options.args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on("data", collect);
  if (options.logFile) child.stdout.pipe(createWriteStream(`${options.logFile}.${child.pid}`));
  child.stderr.on("data", collect);
  const rpcUrl = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await answers(rpcUrl))) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with code ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} did not answer on ${rpcUrl} in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    rpcUrl,
    port: options.port,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Chain, freePort } from "@hydrogen/testnet";

const BIN = fileURLToPath(new URL("../../bin/hydrogen-relay.mjs", import.meta.url));

/** A relay started as its own process (the `hydrogen-relay` command), configured by environment. */
export interface RelayProcess {
  url: string;
  process: ChildProcess;
  /** What it printed (stdout and stderr), for failure messages. */
  output: string[];
}

/**
 * Starts `hydrogen-relay` following `chain` with the given database and waits until
 * `/healthz` answers.
 *
 * @example
 * const relay = await spawnRelay(chain, { databaseUrl: "sqlite:/tmp/relay.db" });
 */
export async function spawnRelay(
  chain: Chain,
  options: {
    databaseUrl: string;
    imageDir?: string;
    logLevel?: string;
    workers?: number;
    env?: Record<string, string>;
  },
): Promise<RelayProcess> {
  const port = await freePort();
  // HYDROGEN_RELAY_PROFILE_DIR=/dir: the relay (and its workers) write V8 CPU profiles there when stopped.
  const profile = process.env.HYDROGEN_RELAY_PROFILE_DIR
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.HYDROGEN_RELAY_PROFILE_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, BIN], {
    env: {
      ...process.env,
      HYDROGEN_RELAY_PORT: String(port),
      HYDROGEN_RELAY_RPC_URL: chain.anvil.rpcUrl,
      HYDROGEN_RELAY_CHAIN_ID: "31337",
      HYDROGEN_RELAY_TASK_MANAGER: chain.tm.address,
      HYDROGEN_RELAY_FROM_BLOCK: String(chain.deployment.deploymentBlock),
      HYDROGEN_RELAY_CONFIRMATIONS: "0", // instant mining: no block comes after the last task's
      HYDROGEN_RELAY_DATABASE_URL: options.databaseUrl,
      HYDROGEN_RELAY_IMAGE_DIR: options.imageDir ?? "",
      HYDROGEN_RELAY_LOG_LEVEL: options.logLevel ?? "info",
      HYDROGEN_RELAY_WORKERS: String(options.workers ?? 1),
      HYDROGEN_RELAY_CONFIG: "",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`relay exited: ${output.join("")}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, process: child, output };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`relay did not start: ${output.join("")}`);
}

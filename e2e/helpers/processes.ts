import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_BIN = fileURLToPath(new URL("../../packages/node/bin/hydrogen-node.mjs", import.meta.url));
const RELAY_BIN = fileURLToPath(new URL("../../packages/relay/bin/hydrogen-relay.mjs", import.meta.url));

/**
 * `E2E_PROFILE_DIR=/some/dir`: every node and the relay write a V8 CPU profile there. They are
 * then stopped with SIGTERM (a killed process writes no profile).
 */
export const PROFILE_DIR = process.env.E2E_PROFILE_DIR;
/** `E2E_LOG_DIR=/some/dir`: every node's and the relay's whole output is kept there, one file each. */
const LOG_DIR = process.env.E2E_LOG_DIR;

function profileFlags(): string[] {
  return PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [];
}

/** A child process of the network (a node or the relay), with its output kept for failure messages. */
export class Service {
  process: ChildProcess | undefined;
  readonly output: string[] = [];

  constructor(
    readonly name: string,
    private readonly command: string[],
    readonly env: NodeJS.ProcessEnv,
    /** Answers once the service is up. */
    private readonly ready: () => Promise<boolean>,
  ) {}

  static node(name: string, configFile: string, env: NodeJS.ProcessEnv, ready: () => Promise<boolean>): Service {
    // The shebang line's flag is repeated when node is run explicitly.
    const command = PROFILE_DIR
      ? [process.execPath, "--max-semi-space-size=2", ...profileFlags(), NODE_BIN]
      : [NODE_BIN];
    return new Service(name, [...command, "--config", configFile], env, ready);
  }

  static relay(name: string, env: NodeJS.ProcessEnv, ready: () => Promise<boolean>): Service {
    return new Service(name, [process.execPath, ...profileFlags(), RELAY_BIN], env, ready);
  }

  async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const [file, ...args] = this.command as [string, ...string[]];
    const child = spawn(file, args, {
      env: { ...process.env, ...this.env, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.process = child;
    child.stdout?.on("data", (chunk: Buffer) => this.keep(chunk));
    child.stderr?.on("data", (chunk: Buffer) => this.keep(chunk));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited on start:\n${this.tail()}`);
      if (await this.ready().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} did not start:\n${this.tail()}`);
  }

  private keep(chunk: Buffer): void {
    if (LOG_DIR) appendFileSync(join(LOG_DIR, `${this.name}.log`), chunk);
    this.output.push(chunk.toString());
    if (this.output.length > 4000) this.output.splice(0, 2000);
  }

  get exited(): boolean {
    return !this.process || this.process.exitCode !== null || this.process.signalCode !== null;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.process;
    if (!child || this.exited) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /** Freezes the process (it stops answering) or thaws it. */
  freeze(frozen: boolean): void {
    this.process?.kill(frozen ? "SIGSTOP" : "SIGCONT");
  }

  tail(lines = 30): string {
    return this.output.join("").split("\n").slice(-lines).join("\n");
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

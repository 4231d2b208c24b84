import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { sleep } from "@hydrogen/protocol";

/**
 * A child process of a network (a node or the relay): started, waited for until it answers,
 * stopped; its output kept (the last lines, for failure messages) and, with `logFile`, written
 * to that file as well.
 */
export class Service {
  process: ChildProcess | undefined;
  private readonly output: string[] = [];

  constructor(
    readonly name: string,
    private readonly command: readonly string[],
    /** Variables on top of this process's environment; a later `start` may change them. */
    readonly env: NodeJS.ProcessEnv,
    /** Answers once the service is up. */
    private readonly ready: () => Promise<boolean>,
    private readonly logFile?: string,
  ) {}

  /**
   * Starts the process and waits until `ready` answers; throws (with the output) when it exits
   * first or does not answer within a minute. `extraEnv` adds variables for this start only.
   */
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
      await sleep(100);
    }
    throw new Error(`${this.name} did not start:\n${this.tail()}`);
  }

  private keep(chunk: Buffer): void {
    if (this.logFile) appendFileSync(this.logFile, chunk);
    this.output.push(chunk.toString());
    if (this.output.length > 4000) this.output.splice(0, 2000);
  }

  get exited(): boolean {
    return !this.process || this.process.exitCode !== null || this.process.signalCode !== null;
  }

  /** Resolves with the exit signal or code once the process has exited; rejects after `timeoutMs`. */
  async exit(timeoutMs = 30_000): Promise<string> {
    const child = this.process;
    if (!child) return "not started";
    if (this.exited) return String(child.signalCode ?? child.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not exit:\n${this.tail()}`)), timeoutMs);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        resolve(String(signal ?? code));
      });
    });
  }

  /** Sends `signal` and waits for the exit; resolves "exited" when it was not running. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<string> {
    if (this.exited) return "exited";
    this.process?.kill(signal);
    return this.exit();
  }

  /** Freezes the process (it stops answering) or thaws it. */
  freeze(frozen: boolean): void {
    this.process?.kill(frozen ? "SIGSTOP" : "SIGCONT");
  }

  /** All output kept (the latest few thousand chunks). */
  text(): string {
    return this.output.join("");
  }

  /** The last `lines` lines of output. */
  tail(lines = 30): string {
    return this.text().split("\n").slice(-lines).join("\n");
  }
}

/**
 * Polls `probe` every 100 ms until it returns something other than `undefined` or `false`;
 * throws after `timeoutMs` with the last error the probe threw.
 */
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
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

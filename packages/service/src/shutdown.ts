/**
 * One shutdown registry per process (the model is ponder's `internal/shutdown.ts`): whatever a
 * process opens registers how to close it; `close()` aborts `signal` (every loop and wait
 * started with it stops), then runs the registered steps newest first, each awaited, so a
 * process shuts down in the reverse order it started. A step that fails is reported and the
 * others still run. A start that fails half-way closes what it had opened.
 *
 * @example
 * const shutdown = new Shutdown();
 * const db = await openDatabase(url);
 * shutdown.add("database", () => db.close());
 * const server = await shutdown.guard(() => listen());   // a failed listen closes the database
 * shutdown.add("http", () => server.close());
 * await waitForSignal();
 * await shutdown.close();                                // http, then the database
 */
export class Shutdown {
  private readonly controller = new AbortController();
  private readonly steps: { name: string; close: () => unknown }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly onError: (step: string, error: unknown) => void = () => {}) {}

  /** Aborted when `close()` starts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Registers how to close something; after `close()` has started, closes it at once. */
  add(name: string, close: () => unknown): void {
    if (this.closing) {
      void this.run({ name, close });
      return;
    }
    this.steps.push({ name, close });
  }

  /** Aborts `signal`, then closes everything registered, newest first. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.controller.abort();
      for (const step of this.steps.reverse()) await this.run(step);
      this.steps.length = 0;
    })();
    return this.closing;
  }

  /** Runs `start`; when it throws, closes what is registered so far and rethrows. */
  async guard<T>(start: () => Promise<T> | T): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private async run(step: { name: string; close: () => unknown }): Promise<void> {
    try {
      await step.close();
    } catch (error) {
      this.onError(step.name, error);
    }
  }
}

/** Resolves with the first of `signals` the process receives (SIGTERM and SIGINT by default). */
export function waitForSignal(signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handlers = signals.map((signal) => {
      const handler = () => {
        for (const [other, h] of handlers) process.off(other, h);
        resolve(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
  });
}

/**
 * A command's entry point: `main` resolves with the exit code; a throw is printed with its
 * stack, prefixed with the command's name, and exits with 1.
 */
export function runCommand(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

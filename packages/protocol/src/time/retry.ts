import { sleep } from "./sleep.ts";

/** A doubling delay: the first wait, then twice the previous, never more than `maxMs`. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

/**
 * The wait after `previousMs` (0 for the first): `firstMs`, then doubling up to `maxMs`. The
 * one back-off arithmetic of the repository.
 *
 * @example
 * let delay = 0; delay = nextDelay(delay, { firstMs: 250, maxMs: 30_000 }); // 250, 500, 1000…
 */
export function nextDelay(previousMs: number, { firstMs, maxMs }: Backoff): number {
  return Math.min(previousMs > 0 ? previousMs * 2 : firstMs, maxMs);
}

export interface WithRetryOptions {
  /** Whether this failure may succeed if tried again; anything else is thrown at once. */
  shouldRetry(error: unknown, attempt: number): boolean;
  /** The wait before the next try (default a 20 ms doubling back-off up to 1 s). */
  delay?: (attempt: number, error: unknown) => number;
  /** Epoch ms past which no try starts: `onTimeout` (or the last error) is thrown instead. */
  deadline?: number;
  onTimeout?: (error: unknown) => Error;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/**
 * Calls `operation` until it succeeds, a failure is not retryable, or the next try would start
 * past the deadline (viem's `withRetry` is the model). Aborting the signal rejects with its reason.
 *
 * @example
 * await withRetry(() => relay.getTask(id), { shouldRetry: (e) => e instanceof RelayError && e.retryable, deadline });
 */
export async function withRetry<T>(operation: () => Promise<T>, options: WithRetryOptions): Promise<T> {
  let previous = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!options.shouldRetry(error, attempt)) throw error;
      previous = nextDelay(previous, { firstMs: 20, maxMs: 1000 });
      const wait = options.delay ? options.delay(attempt, error) : previous;
      if (options.deadline !== undefined && Date.now() + wait > options.deadline) {
        throw options.onTimeout ? options.onTimeout(error) : error;
      }
      options.onRetry?.(error, attempt, wait);
      await sleep(wait, options.signal);
    }
  }
}

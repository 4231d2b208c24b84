import { RelayError, RelayUnreachableError } from "@hydrogen/protocol";
import { TimeoutError } from "./errors.ts";

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryOptions {
  /** What is awaited, for the timeout's message. */
  what: string;
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
  /** Relay error codes that mean "not yet" on top of the retryable ones. */
  retryOn?: readonly string[];
}

/**
 * Calls a relay operation until it succeeds: retryable relay errors (the relay has not seen
 * the chain event yet, is unavailable) and transport failures are waited out, with a capped
 * doubling interval; anything else is thrown at once.
 */
export async function retryRelay<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.intervalMs;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      const waitable =
        error instanceof RelayUnreachableError ||
        (error instanceof RelayError && (error.retryable || options.retryOn?.includes(error.code)));
      if (!waitable) throw error;
      if (Date.now() + interval > deadline) throw new TimeoutError(options.what, options.timeoutMs);
      await sleep(interval, options.signal);
      interval = Math.min(interval * 2, options.intervalMs * 8);
    }
  }
}

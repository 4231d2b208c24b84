import { nextDelay, RelayError, RelayUnreachableError, withRetry } from "@hydrogen/protocol";
import {
  BaseError,
  HttpRequestError,
  TimeoutError as RpcTimeoutError,
  SocketClosedError,
  WebSocketRequestError,
} from "viem";
import { TimeoutError } from "./errors.ts";

/** The first wait of `retryRelay`; it doubles up to `maxIntervalMs`. */
const FIRST_RETRY_MS = 20;

export interface RetryOptions {
  /** What is awaited, for the timeout's message. */
  what: string;
  timeoutMs: number;
  /** The longest wait between tries; the first is much shorter (the relay usually catches up within milliseconds). */
  maxIntervalMs: number;
  signal?: AbortSignal;
  /** Relay error codes that mean "not yet" on top of the retryable ones. */
  retryOn?: readonly string[];
}

/**
 * Calls a relay operation until it succeeds: retryable relay errors (the relay has not seen
 * the chain event yet, is unavailable) and transport failures are waited out, with a doubling
 * interval from 20 ms up to `maxIntervalMs`, or as long as a rate limit's Retry-After says;
 * anything else is thrown at once.
 */
export async function retryRelay<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const backoff = { firstMs: FIRST_RETRY_MS, maxMs: options.maxIntervalMs };
  let interval = 0;
  return withRetry(operation, {
    shouldRetry: (error) =>
      error instanceof RelayUnreachableError ||
      (error instanceof RelayError && (error.retryable || options.retryOn?.includes(error.code) === true)),
    delay: (_attempt, error) => {
      interval = nextDelay(interval, backoff);
      return Math.max(interval, retryAfterMs(error));
    },
    deadline: Date.now() + options.timeoutMs,
    onTimeout: () => new TimeoutError(options.what, options.timeoutMs),
    signal: options.signal,
  });
}

/** How long a 429 asks the client to wait (`details.retry_after_seconds`), else 0. */
export function retryAfterMs(error: unknown): number {
  if (!(error instanceof RelayError) || error.code !== "RELAY_RATE_LIMITED") return 0;
  const seconds = (error.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 3600) * 1000 : 0;
}

/** Whether a viem error is the transport's (the RPC node unreachable, a dropped socket), not an answer. */
export function isTransportError(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  return Boolean(
    error.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof RpcTimeoutError ||
        e instanceof WebSocketRequestError ||
        e instanceof SocketClosedError,
    ),
  );
}

/**
 * Calls a chain read until it answers: transport failures (an RPC outage) are waited out every
 * `intervalMs` for up to `timeoutMs`; anything else, and the last failure after the timeout,
 * is thrown.
 */
export async function retryRpc<T>(
  operation: () => Promise<T>,
  options: { intervalMs: number; timeoutMs?: number; signal?: AbortSignal },
): Promise<T> {
  return withRetry(operation, {
    shouldRetry: isTransportError,
    delay: () => options.intervalMs,
    deadline: Date.now() + (options.timeoutMs ?? 120_000),
    signal: options.signal,
  });
}

import { nextDelay, sleep } from "@hydrogen/protocol";
import { type Hash, type TransactionReceipt, TransactionReceiptNotFoundError } from "viem";
import type { HydrogenClient } from "./client.ts";
import { TimeoutError } from "./errors.ts";
import { isTransportError } from "./wait.ts";

/** The first look for a receipt; it doubles up to the client's polling interval. */
const FIRST_LOOK_MS = 10;

/** How long a sent transaction may stay unmined before the wait gives up (it may still be mined). */
const DEFAULT_RECEIPT_TIMEOUT_MS = 300_000;

export interface WaitForReceiptOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Resolves with a sent transaction's receipt. Looks after 10 ms, then doubles the interval up
 * to the client's polling interval (a fast chain answers within one or two looks); an RPC
 * outage is waited out like a missing receipt.
 *
 * viem's `waitForTransactionReceipt` is not used: its poll leaves its next wait pending after
 * it resolves, a timer of one polling interval that keeps an application's process alive.
 * Every wait here ends (or is cleared by the signal) before this returns or throws.
 */
export async function waitForReceipt(
  client: HydrogenClient,
  hash: Hash,
  options: WaitForReceiptOptions = {},
): Promise<TransactionReceipt> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RECEIPT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const backoff = { firstMs: FIRST_LOOK_MS, maxMs: client.pollingIntervalMs };
  let interval = nextDelay(0, backoff);
  for (;;) {
    await sleep(interval, options.signal);
    try {
      return await client.publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      if (!(error instanceof TransactionReceiptNotFoundError) && !isTransportError(error)) throw error;
    }
    if (Date.now() + interval > deadline) throw new TimeoutError(`transaction ${hash} to be mined`, timeoutMs);
    interval = nextDelay(interval, backoff);
  }
}

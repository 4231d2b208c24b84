import { BaseError, HttpRequestError, RpcRequestError, TimeoutError } from "viem";

/** JSON-RPC codes worth asking again: unknown, internal (unless a revert), limit exceeded, rate limits. */
const RETRYABLE_RPC_CODES = new Set([-1, -32603, -32005, -32007, 429]);
const RETRYABLE_HTTP_STATUSES = new Set([403, 408, 413, 429, 500, 502, 503, 504]);

/** Whether a failed request may succeed if sent again: never a revert, which the chain decided. */
export function isRetryableRpcError(error: unknown): boolean {
  if (isRevert(error)) return false;
  if (!(error instanceof BaseError)) return false;
  if (error.walk((e) => e instanceof TimeoutError)) return true;
  const rpc = error.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
  if (rpc) return RETRYABLE_RPC_CODES.has(rpc.code);
  const httpError = error.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null;
  if (httpError) return httpError.status === undefined || RETRYABLE_HTTP_STATUSES.has(httpError.status);
  return false;
}

/** An execution revert: JSON-RPC code 3, revert data, or a node's "reverted" message. */
export function isRevert(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const { code, data } = e as { code?: unknown; data?: unknown };
    if (code === 3) return true;
    if (typeof data === "string" && /^0x[0-9a-f]{8}/i.test(data)) return true;
    if (typeof data === "object" && data !== null && typeof (data as { data?: unknown }).data === "string") return true;
    if (/execution reverted|reverted with|VM Exception while processing transaction: revert/i.test(e.message))
      return true;
  }
  return false;
}

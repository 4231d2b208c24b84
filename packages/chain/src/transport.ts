import { isRetryableRpcError, isRevert, withRetry } from "@hydrogen/protocol";
import { fallback, http, type Transport, webSocket } from "viem";

export interface RpcTransportOptions {
  /** Retries of a failed request (viem's backoff). Default 3. */
  retryCount?: number;
  /** Longest wait for one answer. Default 10,000 ms. */
  timeoutMs?: number;
}

export interface RpcTransport {
  transport: Transport;
  /** Closes the WebSocket, if any (an open socket keeps the process alive). */
  close(): Promise<void>;
}

/**
 * The transport for a service's RPC requests. Given a WebSocket endpoint, requests go over it
 * and HTTP is the fallback: a JSON-RPC request over an open WebSocket costs the client about
 * an eighth of the CPU of one over HTTP (`fetch`, its streams and abort signals), which is
 * what a busy node spends most of its time on. The socket reconnects without limit (viem's
 * default gives up after 5 tries, and a node must outlive a long RPC outage); a request whose
 * socket dropped fails, or times out, and is then tried over HTTP.
 *
 * @example
 * const rpc = rpcTransport("http://127.0.0.1:8545", "ws://127.0.0.1:8545");
 * const client = createPublicClient({ transport: rpc.transport });
 * await rpc.close();
 */
export function rpcTransport(
  rpcUrl: string | readonly string[],
  wsUrl?: string,
  options: RpcTransportOptions = {},
): RpcTransport {
  const { retryCount, timeoutMs: timeout } = options;
  // Several HTTP endpoints: each is tried in turn when the one before fails (another provider,
  // a second node of one's own), always starting from the first.
  const urls = typeof rpcUrl === "string" ? [rpcUrl] : [...rpcUrl];
  const httpTransports = urls.map((url) =>
    revertAwareHttp(url, { retryCount: urls.length > 1 ? 0 : retryCount, timeout }),
  );
  // Each HTTP transport retries by itself; the fallback only moves on, and never on a revert.
  const fallbackOptions = { retryCount: 0, shouldThrow: (error: Error) => isRevert(error) || undefined };
  const overHttp =
    httpTransports.length > 1 ? fallback(httpTransports, fallbackOptions) : (httpTransports[0] as Transport);
  if (!wsUrl) return { transport: overHttp, close: async () => {} };
  const overWebSocket = webSocket(wsUrl, {
    reconnect: { attempts: Number.POSITIVE_INFINITY, delay: 1000 },
    timeout,
    retryCount: 0,
  });
  return {
    transport: fallback([overWebSocket, ...httpTransports], fallbackOptions),
    async close() {
      // viem keeps one socket per URL and options: this is the one the clients use.
      const socket = await overWebSocket({}).value?.getRpcClient();
      socket?.close();
    },
  };
}

/**
 * viem's HTTP transport, retried like viem retries it (a failed connection, a timeout, 429 and
 * 5xx, JSON-RPC "internal" and limit errors) except when the answer is a revert: some nodes
 * (Hardhat) send an expected revert as JSON-RPC error -32603, which viem would ask three more
 * times, a second lost per revert.
 */
export function revertAwareHttp(url: string, options: { retryCount?: number; timeout?: number } = {}): Transport {
  const retryCount = options.retryCount ?? 3;
  const base = http(url, { retryCount: 0, timeout: options.timeout });
  return (params) => {
    const transport = base(params);
    const request = ((args: never, requestOptions?: never) =>
      withRetry(() => transport.request(args, requestOptions), {
        shouldRetry: (error, attempt) => attempt < retryCount && isRetryableRpcError(error),
        delay: (attempt) => 150 * 2 ** attempt,
      })) as typeof transport.request;
    return { ...transport, request };
  };
}

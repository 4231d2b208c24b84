import type { Hex } from "viem";
import WebSocket from "ws";

export interface WatchHeadsOptions {
  /** Wait before reconnecting after the socket closed or could not open. Default 1,000 ms. */
  retryMs?: number;
  /** A socket silent for this long (no pong, no head) is dropped and reopened. Default 15,000 ms. */
  heartbeatMs?: number;
  /** Each connection failure, for the caller's logs. */
  onError?(error: Error): void;
}

/** What a new-block notification says that the follower uses. */
export interface Head {
  number: bigint;
  /** The block's time (unix seconds), when the notification carries it. */
  timestamp?: bigint;
  /** The block's 2048-bit log bloom: which addresses and topics its logs may hold. */
  logsBloom?: Hex;
}

export interface HeadWatcher {
  /** Whether the subscription is live right now. */
  readonly connected: boolean;
  stop(): void;
}

/**
 * Calls `onHead` with each new block (number and log bloom) from a WebSocket `eth_subscribe("newHeads")`
 * subscription, reopened after every failure (closed socket, refused connection, silent peer).
 * It is a wake-up only: callers read the chain over HTTP and keep a slower poll as a fallback,
 * so a lost subscription costs latency, never correctness.
 *
 * @example
 * const heads = watchHeads("ws://127.0.0.1:8545", ({ number }) => console.log(number));
 * // later
 * heads.stop();
 */
export function watchHeads(url: string, onHead: (head: Head) => void, options: WatchHeadsOptions = {}): HeadWatcher {
  const retryMs = options.retryMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let stopped = false;
  let connected = false;
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const open = () => {
    retry = undefined;
    if (stopped) return;
    const ws = new WebSocket(url);
    socket = ws;
    let alive = true;
    const fail = (error: Error) => {
      if (socket !== ws) return;
      socket = undefined;
      connected = false;
      clearInterval(heartbeat);
      discard(ws);
      if (stopped) return;
      options.onError?.(error);
      retry = setTimeout(open, retryMs);
    };
    ws.on("open", () => {
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
      heartbeat = setInterval(() => {
        if (!alive) return fail(new Error(`no answer from ${url} for ${heartbeatMs} ms`));
        alive = false;
        if (ws.readyState === WebSocket.OPEN) ws.ping();
      }, heartbeatMs);
    });
    ws.on("pong", () => {
      alive = true;
    });
    ws.on("message", (data) => {
      alive = true;
      const message = parseMessage(data.toString());
      if (message?.id === 1) {
        if (message.error) return fail(new Error(`newHeads subscription refused: ${JSON.stringify(message.error)}`));
        connected = true;
        return;
      }
      const head = message?.method === "eth_subscription" ? message.params?.result : undefined;
      if (typeof head?.number !== "string" || !/^0x[0-9a-f]+$/i.test(head.number)) return;
      const bloom = typeof head.logsBloom === "string" && /^0x[0-9a-f]{512}$/i.test(head.logsBloom);
      const timestamp = typeof head.timestamp === "string" && /^0x[0-9a-f]+$/i.test(head.timestamp);
      onHead({
        number: BigInt(head.number),
        timestamp: timestamp ? BigInt(head.timestamp as string) : undefined,
        logsBloom: bloom ? (head.logsBloom as Hex) : undefined,
      });
    });
    ws.on("error", (error) => fail(error));
    ws.on("close", (code) => fail(new Error(`WebSocket ${url} closed (${code})`)));
  };
  open();

  return {
    get connected() {
      return connected;
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      const ws = socket;
      socket = undefined;
      connected = false;
      if (ws) discard(ws);
    },
  };
}

/** Closes a socket for good: no more events, and a late error is swallowed. */
function discard(ws: WebSocket): void {
  ws.removeAllListeners();
  ws.on("error", () => undefined);
  ws.terminate();
}

interface RpcMessage {
  id?: number;
  method?: string;
  error?: unknown;
  params?: { result?: { number?: unknown; timestamp?: unknown; logsBloom?: unknown } };
}

function parseMessage(text: string): RpcMessage | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as RpcMessage) : undefined;
  } catch {
    return undefined;
  }
}

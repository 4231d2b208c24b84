import type { Address, Hex } from "viem";
import WebSocket from "ws";

export interface WatchHeadsOptions {
  /** Wait before reconnecting after the socket closed or could not open. Default 1,000 ms. */
  retryMs?: number;
  /** A socket silent for this long (no pong, no head) is dropped and reopened. Default 15,000 ms. */
  heartbeatMs?: number;
  /** Each connection failure, for the caller's logs. */
  onError?(error: Error): void;
  /**
   * Each subscription the peer confirmed. What happened before it went unannounced: a caller
   * that reads the chain itself reads once more then.
   */
  onSubscribed?(): void;
}

/** What a new-block (or new-log) notification says that the follower uses. */
export interface Head {
  number: bigint;
  /** The block's time (unix seconds), when the notification carries it. */
  timestamp?: bigint;
  /** The block's 2048-bit log bloom: which addresses and topics its logs may hold. */
  logsBloom?: Hex;
  /** The block's hash and its parent's (newHeads carries them; a log notification does not). */
  hash?: Hex;
  parentHash?: Hex;
}

export interface HeadWatcher {
  /** Whether the socket is open and every subscription it wants is live right now. */
  readonly connected: boolean;
  /** Subscribes to what the watcher's filters now name and drops what they no longer do. */
  refresh(): void;
  stop(): void;
}

/** One log filter position: a topic, any of several, or anything (null). */
export type TopicFilter = Hex | Hex[] | null;

/**
 * Calls `onHead` with each new block (number, time and log bloom) from a WebSocket
 * `eth_subscribe("newHeads")` subscription, reopened after every failure (closed socket,
 * refused connection, silent peer). It is a wake-up only: callers read the chain over HTTP and
 * keep a slower poll as a fallback, so a lost subscription costs latency, never correctness.
 *
 * @example
 * const heads = watchHeads("ws://127.0.0.1:8545", ({ number }) => console.log(number));
 * // later
 * heads.stop();
 */
export function watchHeads(url: string, onHead: (head: Head) => void, options: WatchHeadsOptions = {}): HeadWatcher {
  return watchSubscriptions(
    url,
    () => [["newHeads"]],
    options,
    (result) => {
      const head = result as
        | { number?: unknown; timestamp?: unknown; logsBloom?: unknown; hash?: unknown; parentHash?: unknown }
        | undefined;
      if (!isQuantity(head?.number)) return;
      onHead({
        number: BigInt(head.number),
        hash: isHash(head.hash) ? head.hash : undefined,
        parentHash: isHash(head.parentHash) ? head.parentHash : undefined,
        timestamp: isQuantity(head.timestamp) ? BigInt(head.timestamp) : undefined,
        logsBloom:
          typeof head.logsBloom === "string" && /^0x[0-9a-f]{512}$/i.test(head.logsBloom)
            ? (head.logsBloom as Hex)
            : undefined,
      });
    },
  );
}

/**
 * Like `watchHeads`, but wakes the caller only for blocks holding a log it wants: one
 * `eth_subscribe("logs")` per filter (each a list of topic positions on `address`), named
 * by `filters` again at each `refresh()`. On a busy network a node hears of the few blocks
 * that concern it instead of every block. `onHead` gets the log's block number and time.
 *
 * @example
 * const watcher = watchLogs(wsUrl, taskManager, () => [[TASK_CREATED, null, null, me]], ({ number }) => wake(number));
 */
export function watchLogs(
  url: string,
  address: Address,
  filters: () => TopicFilter[][],
  onHead: (head: Head) => void,
  options: WatchHeadsOptions = {},
): HeadWatcher {
  const wanted = () => filters().map((topics) => ["logs", { address, topics }]);
  return watchSubscriptions(url, wanted, options, (result) => {
    const log = result as { blockNumber?: unknown; blockTimestamp?: unknown } | undefined;
    if (!isQuantity(log?.blockNumber)) return;
    onHead({
      number: BigInt(log.blockNumber),
      timestamp: isQuantity(log.blockTimestamp) ? BigInt(log.blockTimestamp) : undefined,
    });
  });
}

const isHash = (value: unknown): value is Hex => typeof value === "string" && /^0x[0-9a-f]{64}$/i.test(value);

const isQuantity = (value: unknown): value is Hex => typeof value === "string" && /^0x[0-9a-f]+$/i.test(value);

/**
 * One socket holding the subscriptions `wanted` names (each the parameters of an
 * `eth_subscribe`), reopened with all of them after every failure, and passing each
 * notification's result to `onResult`.
 */
function watchSubscriptions(
  url: string,
  wanted: () => unknown[][],
  options: WatchHeadsOptions,
  onResult: (result: unknown) => void,
): HeadWatcher {
  const retryMs = options.retryMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let stopped = false;
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  /** The open socket's subscriptions by their parameters' JSON: the peer's id once it answered. */
  let live = new Map<string, string | undefined>();
  /** Requests awaiting an answer: an `eth_subscribe` (its key) or an `eth_unsubscribe` (undefined). */
  let pending = new Map<number, string | undefined>();
  let nextId = 1;

  const send = (ws: WebSocket, method: string, params: unknown[], key?: string) => {
    const id = nextId++;
    pending.set(id, key);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  };

  const refresh = () => {
    const ws = socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const keys = new Map(wanted().map((params) => [JSON.stringify(params), params]));
    for (const [key, params] of keys) {
      if (live.has(key)) continue;
      live.set(key, undefined);
      send(ws, "eth_subscribe", params, key);
    }
    for (const [key, id] of live) {
      if (keys.has(key) || id === undefined) continue; // an unanswered one is dropped when answered
      live.delete(key);
      send(ws, "eth_unsubscribe", [id]);
    }
  };

  const open = () => {
    retry = undefined;
    if (stopped) return;
    const ws = new WebSocket(url);
    socket = ws;
    live = new Map();
    pending = new Map();
    let alive = true;
    const fail = (error: Error) => {
      if (socket !== ws) return;
      socket = undefined;
      clearInterval(heartbeat);
      discard(ws);
      if (stopped) return;
      options.onError?.(error);
      retry = setTimeout(open, retryMs);
    };
    ws.on("open", () => {
      refresh();
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
      if (!message) return;
      if (typeof message.id === "number" && pending.has(message.id)) {
        const key = pending.get(message.id);
        pending.delete(message.id);
        if (key === undefined) return; // an unsubscription's answer
        if (message.error || typeof message.result !== "string") {
          const method = (JSON.parse(key) as string[])[0];
          return fail(new Error(`${method} subscription refused: ${JSON.stringify(message.error ?? message.result)}`));
        }
        live.set(key, message.result);
        refresh(); // drops it if it is no longer wanted
        options.onSubscribed?.();
        return;
      }
      if (message.method === "eth_subscription") onResult(message.params?.result);
    });
    ws.on("error", (error) => fail(error));
    ws.on("close", (code) => fail(new Error(`WebSocket ${url} closed (${code})`)));
  };
  open();

  return {
    get connected() {
      return (
        socket?.readyState === WebSocket.OPEN && live.size > 0 && [...live.values()].every((id) => id !== undefined)
      );
    },
    refresh,
    stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      const ws = socket;
      socket = undefined;
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
  result?: unknown;
  params?: { result?: unknown };
}

function parseMessage(text: string): RpcMessage | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as RpcMessage) : undefined;
  } catch {
    return undefined;
  }
}

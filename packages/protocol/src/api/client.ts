import type { Address, Hex } from "viem";
import { bodySha256, signRequest, type TypedDataSigner } from "../auth/request.ts";
import { HEADER_SESSION } from "../auth/session.ts";
import { RELAY_ERRORS, RelayError, type RelayErrorCode } from "./errors.ts";
import { ROUTES, type RouteName, routePath } from "./routes.ts";

/** The relay could not be reached or answered something that is not the API (a proxy page, a cut connection). */
export class RelayUnreachableError extends Error {
  override readonly name = "RelayUnreachableError";
  readonly retryable = true;
}

export interface RelayClientOptions {
  /** e.g. `http://127.0.0.1:8787` */
  url: string;
  chainId: number;
  taskManager: Address;
  /** Signs requests to the routes that need it (a viem Account, a wallet). */
  signer?: TypedDataSigner;
  /**
   * Signs with a session key instead of `signer` (spec §7, "Sessions"): called before each
   * signed request, it returns the key that signs and the delegation header that goes with it.
   * A browser wallet is then asked once per session, not once per request or retry.
   */
  session?: () => Promise<{ signer: TypedDataSigner; header: string }>;
  /** Per-request time limit. Default 30,000 ms. */
  timeoutMs?: number;
  /**
   * Sign with the relay's time: the client measures its clock's offset from `GET /v1/now`
   * before its first signed request, every 10 minutes after, and again when the relay answers
   * `RELAY_AUTH_CLOCK_SKEW`. Default true.
   */
  syncClock?: boolean;
  /** This machine's clock in milliseconds; `Date.now` unless a test shifts it. */
  now?: () => number;
  fetch?: typeof fetch;
}

/** `GET /v1/inference_tasks/{id}` */
export interface RelayTask {
  task_id: string;
  task_args: string;
  task_hash: Hex;
  creator: Address;
  nodes: Address[];
  phase: string;
  result?: Hex;
}

/** `GET /v1/limits` */
export interface RelayLimits {
  task_args_bytes: number;
  image_bytes: number;
  upload_bytes: number;
}

/** `GET /v1/inference_tasks/{id}/status` */
export interface RelayTaskStatus {
  task_id: string;
  phase: string;
  abort_reason?: string;
  num_images?: number;
}

/**
 * A typed client of the relay API (spec §7), derived from `ROUTES`: signs what needs signing,
 * turns error bodies into `RelayError` (decide by `code` / `retryable`) and transport failures
 * into `RelayUnreachableError`. Works in Node and browsers.
 *
 * @example
 * const relay = createRelayClient({ url, chainId: 31337, taskManager, signer: account });
 * const task = await relay.getTask(7n);
 */
export function createRelayClient(options: RelayClientOptions) {
  const doFetch = options.fetch ?? globalThis.fetch;
  // Signatures are deterministic and single-use: an identical request (method, path and body)
  // in the same second would be a replay, so a repeat is signed with the next second. Only
  // identical requests are spaced so: a client posting many different bodies to one path
  // (task arguments) keeps its clock, where spacing them all would soon run it past the
  // relay's 60-second window.
  const lastTimestamp = new Map<string, number>();
  const localNow = options.now ?? Date.now;
  const clock = new RelayClock(localNow, () => send("getNow", {}).then((r) => json<{ now: number }>(r, "getNow")));
  const syncClock = options.syncClock ?? true;

  async function send(
    name: RouteName,
    params: Record<string, string | number | bigint>,
    body?: SendBody,
    query?: Record<string, string | number | undefined>,
  ) {
    try {
      return await attempt(name, params, body, query);
    } catch (error) {
      if (!(error instanceof RelayError)) throw error;
      // Another client with the same key (a session kept across page loads, a second process)
      // sent this very request in this second: the relay did nothing; sign with the next one.
      if (error.code === "RELAY_AUTH_REPLAYED") return attempt(name, params, body, query);
      // Our clock moved, or the relay's did: measure again and sign once more.
      if (!(syncClock && error.code === "RELAY_AUTH_CLOCK_SKEW")) throw error;
      await clock.measure();
      return attempt(name, params, body, query);
    }
  }

  async function attempt(
    name: RouteName,
    params: Record<string, string | number | bigint>,
    body?: SendBody,
    query?: Record<string, string | number | undefined>,
  ) {
    const route = ROUTES[name];
    const path = routePath(name, params, query);
    const headers: Record<string, string> = {};
    if (body) headers["content-type"] = body.contentType;
    if (route.access !== "public") {
      const session = options.session ? await options.session() : undefined;
      const signer = session?.signer ?? options.signer;
      if (!signer) throw new Error(`relay route ${name} needs a signer`);
      if (session) headers[HEADER_SESSION] = session.header;
      const bodyHash = body && body.bytes.length > 0 ? bodySha256(body.bytes) : undefined;
      const key = `${route.method} ${path} ${bodyHash ?? ""}`;
      const now = Math.floor(localNow() / 1000 + (syncClock ? await clock.offset() : 0));
      const timestamp = Math.max(now, (lastTimestamp.get(key) ?? 0) + 1);
      lastTimestamp.set(key, timestamp);
      if (lastTimestamp.size > 1000) lastTimestamp.delete(lastTimestamp.keys().next().value as string);
      Object.assign(
        headers,
        await signRequest({
          ...options,
          signer,
          method: route.method,
          path,
          body: body?.bytes,
          bodyHash,
          timestamp,
        }),
      );
    }
    let response: Response;
    try {
      response = await doFetch(new URL(path, options.url), {
        method: route.method,
        headers,
        body: body?.bytes as BodyInit | undefined,
        // A request the relay may hold (`?wait=`) gets that long on top.
        signal: AbortSignal.timeout((options.timeoutMs ?? 30_000) + Number(query?.wait ?? 0) * 1000),
      });
    } catch (error) {
      throw new RelayUnreachableError(`relay ${options.url} unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (response.ok) return response;
    throw await toRelayError(response, name);
  }

  async function json<T>(response: Response, name: RouteName): Promise<T> {
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new RelayUnreachableError(`relay answered ${name} with a body that is not JSON`, { cause: error });
    }
  }

  return {
    url: options.url,
    /**
     * The task's arguments and what the relay knows of it (creator or selected node). With
     * `waitSeconds` the relay holds the request up to that long while the arguments are not uploaded.
     */
    async getTask(taskId: bigint, options: { waitSeconds?: number } = {}): Promise<RelayTask> {
      return json<RelayTask>(
        await send("getTask", { id: taskId }, undefined, { wait: options.waitSeconds }),
        "getTask",
      );
    },
    /** Uploads the task arguments (the creator); the same arguments again is a no-op. */
    async uploadTaskArgs(taskId: bigint, taskArgs: string): Promise<{ task_id: string; task_hash: Hex }> {
      const bytes = new TextEncoder().encode(JSON.stringify({ task_id: taskId.toString(), task_args: taskArgs }));
      const response = await send("uploadTaskArgs", {}, { bytes, contentType: "application/json" });
      return json(response, "uploadTaskArgs");
    },
    /** Uploads the result images in order (the result node, after TaskSuccess). */
    async uploadResults(taskId: bigint, images: readonly Uint8Array[]): Promise<{ task_id: string; images: number }> {
      const response = await send("uploadResults", { id: taskId }, multipartImages(images));
      return json(response, "uploadResults");
    },
    /**
     * One result image as PNG bytes (the creator). With `waitSeconds`, the relay holds the
     * request while the images are not uploaded yet and answers as soon as they are.
     */
    async getResultImage(taskId: bigint, index: number, options: { waitSeconds?: number } = {}): Promise<Uint8Array> {
      const response = await send("getResultImage", { id: taskId, index }, undefined, { wait: options.waitSeconds });
      return new Uint8Array(await response.arrayBuffer());
    },
    async getTaskStatus(taskId: bigint): Promise<RelayTaskStatus> {
      return json<RelayTaskStatus>(await send("getTaskStatus", { id: taskId }), "getTaskStatus");
    },
    /** The sizes this relay accepts (`GET /v1/limits`). */
    async limits(): Promise<RelayLimits> {
      return json<RelayLimits>(await send("getLimits", {}), "getLimits");
    },
    /** A page of the relay's task index, newest first (`next` goes in `before` for the next page). */
    async listTasks(
      query: { creator?: Address; node?: Address; before?: string; limit?: number } = {},
    ): Promise<{ tasks: RelayIndexedTask[]; next?: string }> {
      return json(await send("listTasks", {}, undefined, query), "listTasks");
    },
    /**
     * Has the relay POST each phase change of the signer's tasks to `url` (signed with the
     * returned secret, which is shown only here).
     */
    async createWebhook(url: string): Promise<{ id: string; url: string; secret: string }> {
      const bytes = new TextEncoder().encode(JSON.stringify({ url }));
      return json(await send("createWebhook", {}, { bytes, contentType: "application/json" }), "createWebhook");
    },
    /** The signer's webhooks. */
    async listWebhooks(): Promise<{ webhooks: { id: string; url: string }[] }> {
      return json(await send("listWebhooks", {}), "listWebhooks");
    },
    /** Stops one of the signer's webhooks. */
    async deleteWebhook(id: string): Promise<void> {
      await send("deleteWebhook", { webhook: id });
    },
    /** The task's chain events in order, with blocks and transactions (`GET …/timeline`). */
    async getTaskTimeline(taskId: bigint): Promise<{ task_id: string; events: RelayTimelineEvent[] }> {
      return json(await send("getTaskTimeline", { id: taskId }), "getTaskTimeline");
    },
    /** A page of the nodes the index knows, in address order (`next` goes in `after`). */
    async listNodes(
      query: { status?: string; after?: string; limit?: number } = {},
    ): Promise<{ nodes: RelayIndexedNode[]; next?: string }> {
      return json(await send("listNodes", {}, undefined, query), "listNodes");
    },
    /** One node's summary: status, stake, earnings, slashes, missed tasks. */
    async getNode(address: Address): Promise<RelayIndexedNode> {
      return json(await send("getNode", { address }), "getNode");
    },
    /** A page of a node's history, newest first (`next` goes in `before`). */
    async getNodeHistory(
      address: Address,
      query: { before?: string; limit?: number } = {},
    ): Promise<{ events: RelayNodeHistoryEntry[]; next?: string }> {
      return json(await send("getNodeHistory", { address }, undefined, query), "getNodeHistory");
    },
    /** Tasks by phase, nodes by status and the last block the relay applied (`GET /v1/stats`). */
    async stats(): Promise<RelayStats> {
      return json<RelayStats>(await send("getStats", {}), "getStats");
    },
    /**
     * Calls `onStatus` with the task's status now and at each change the relay sees, over
     * Server-Sent Events, until the task ends (images uploaded or aborted), the relay ends the
     * stream, or `signal` aborts. Resolves with the last status.
     */
    async streamTaskPhases(
      taskId: bigint,
      onStatus: (status: RelayTaskStatus) => void,
      streamOptions: { signal?: AbortSignal } = {},
    ): Promise<RelayTaskStatus | undefined> {
      const url = new URL(routePath("streamTaskPhases", { id: taskId }), options.url);
      let response: Response;
      try {
        response = await doFetch(url, { headers: { accept: "text/event-stream" }, signal: streamOptions.signal });
      } catch (error) {
        if (streamOptions.signal?.aborted) return undefined;
        throw new RelayUnreachableError(`relay ${options.url} unreachable: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (!response.ok || !response.body) throw await toRelayError(response, "streamTaskPhases");
      let last: RelayTaskStatus | undefined;
      try {
        for await (const data of serverSentData(response.body, "phase")) {
          last = JSON.parse(data) as RelayTaskStatus;
          onStatus(last);
        }
      } catch (error) {
        if (!streamOptions.signal?.aborted) throw error;
      }
      return last;
    },
    /** The relay's clock, unix seconds. */
    async now(): Promise<number> {
      return (await json<{ now: number }>(await send("getNow", {}), "getNow")).now;
    },
    /** Seconds to add to this machine's clock to get the relay's, as last measured (0 before). */
    clockOffsetSeconds(): number {
      return clock.last;
    },
  };
}

export type RelayClient = ReturnType<typeof createRelayClient>;

/** One task in the relay's index (`GET /v1/tasks`). */
export interface RelayIndexedTask {
  task_id: string;
  creator: Address;
  nodes: Address[];
  phase: string;
  abort_reason?: string;
  result_node?: Address;
  created_block: number;
}

/** One event of a task's timeline (`GET /v1/inference_tasks/{id}/timeline`). */
export interface RelayTimelineEvent {
  name: string;
  block: number;
  log_index: number;
  tx_hash?: Hex;
  /** Unix seconds of the block, when the relay's RPC gave it. */
  time?: number;
  node?: Address;
  round?: number;
  /** Wei, decimal. */
  amount?: string;
  reason?: string;
}

/** `GET /v1/stats` */
export interface RelayStats {
  tasks: number;
  by_phase: Record<string, number>;
  cursor_block?: number;
  /** Nodes by status. */
  nodes?: Record<string, number>;
}

/** A node as the relay's index sums it up (`GET /v1/nodes/{address}`); amounts in wei, decimal. */
export interface RelayIndexedNode {
  address: string;
  status: string;
  stake: string;
  earned: string;
  paid_tasks: number;
  slashes: number;
  missed: number;
  first_block: number;
  last_block: number;
}

/**
 * Why the index says a node lost its stake in a task (`slashed`), or was left unpaid when the
 * task was cancelled after its deadline (`missed`: not slashed), by the code in `detail`.
 */
export const NODE_LOSS_REASONS = {
  result_mismatch: "disclosed a result unlike the two that agreed",
  error_outvoted: "reported an error while two nodes agreed on a result",
  no_commitment: "no commitment or error report before the deadline",
  no_disclosure: "committed, but did not disclose before the deadline",
  no_upload: "its result won, but it did not report the upload before the deadline",
} as const;
export type NodeLossReason = keyof typeof NODE_LOSS_REASONS;

/** One entry of a node's history (`GET /v1/nodes/{address}/history`). */
export interface RelayNodeHistoryEntry {
  kind: "joined" | "status" | "stake_returned" | "stake_slashed" | "paid" | "slashed" | "missed";
  block: number;
  log_index: number;
  task_id?: string;
  amount?: string;
  /** status: `previous>current`; slashed and missed: the reason code. */
  detail?: string;
  tx_hash?: string;
  time?: number;
}

/** The `data` of each Server-Sent Event named `event` in a stream (lines joined, per the SSE rules). */
async function* serverSentData(body: ReadableStream<Uint8Array>, event: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (name === event && data.length) yield data.join("\n");
    }
  }
}

interface SendBody {
  bytes: Uint8Array;
  contentType: string;
}

async function toRelayError(response: Response, name: RouteName): Promise<Error> {
  const text = await response.text().catch(() => "");
  let parsed: { error?: { code?: string; message?: string; details?: unknown } } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const code = parsed?.error?.code;
  if (code && code in RELAY_ERRORS) {
    return new RelayError(code as RelayErrorCode, parsed?.error?.message, parsed?.error?.details);
  }
  // Not the relay speaking (a gateway, a proxy): a transport problem, worth retrying.
  return new RelayUnreachableError(`relay answered ${name} with HTTP ${response.status}: ${text.slice(0, 200)}`);
}

/** A multipart/form-data body with one `images` part per PNG, built in memory so it can be hashed and signed. */
export function multipartImages(
  images: readonly Uint8Array[],
  boundary = `hydrogen-${Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("")}`,
): SendBody {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  images.forEach((png, index) => {
    parts.push(
      encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="${index}.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      png,
      encoder.encode("\r\n"),
    );
  });
  parts.push(encoder.encode(`--${boundary}--\r\n`));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** How often a client measures its clock against the relay's. */
const CLOCK_REFRESH_MS = 10 * 60_000;

/**
 * This machine's clock offset from the relay's, measured from `GET /v1/now` at the middle of
 * the round trip. Concurrent callers share one measurement; a failed one leaves the last offset
 * (0 at first), so a relay that is down fails the request itself, with its own error.
 */
class RelayClock {
  last = 0;
  private measuredAt = -Infinity;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly localNow: () => number,
    private readonly fetchNow: () => Promise<{ now: number }>,
  ) {}

  async offset(): Promise<number> {
    if (this.localNow() - this.measuredAt > CLOCK_REFRESH_MS) await this.measure();
    return this.last;
  }

  measure(): Promise<void> {
    this.pending ??= (async () => {
      const sent = this.localNow();
      try {
        const { now } = await this.fetchNow();
        const received = this.localNow();
        if (Number.isFinite(now)) this.last = now + 0.5 - (sent + received) / 2000;
        this.measuredAt = received;
      } catch (error) {
        // A relay that answers without a clock is not asked again soon; one that is down is.
        if (error instanceof RelayError) this.measuredAt = this.localNow();
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

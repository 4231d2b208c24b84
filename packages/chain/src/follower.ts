import { nextDelay, pause, Wakeup } from "@hydrogen/protocol";
import { type Address, type Hex, hexToBytes, type Log, type PublicClient } from "viem";
import { bloomMayContain } from "./bloom.ts";
import { type Head, type HeadWatcher, type TopicFilter, watchHeads, watchLogs } from "./heads.ts";
import {
  assertLogsFrom,
  type BlockLink,
  type BlockRef,
  blocksToKeep,
  ChainMovedError,
  findCommonAncestor,
  readLink,
} from "./reorg.ts";

/** A block range of one contract's logs, in (block, log index) order. */
export interface LogBatch {
  fromBlock: bigint;
  toBlock: bigint;
  logs: Log[];
  /**
   * Blocks to remember with the cursor (the range's last block and those its logs came from):
   * the store keeps them, and may forget those below `forgetBelow`, in the same transaction.
   */
  blocks: BlockRef[];
  forgetBelow: bigint;
}

export interface FollowerOptions {
  /** The contract whose logs are followed (the TaskManager). */
  address: Address;
  /** First block to read when there is no cursor yet (the deployment block). */
  fromBlock: bigint;
  /** Blocks a log must be buried under before it is applied. Default 0 (a devnet); use more on real chains. */
  confirmations?: number;
  /** Largest `eth_getLogs` range. Default 2,000 blocks. */
  maxRange?: bigint;
  /** How often to look for new blocks when caught up (ten times less often while a subscription is live). Default 1,000 ms. */
  pollIntervalMs?: number;
  /**
   * A WebSocket RPC URL: a `newHeads` subscription there wakes the follower as soon as a block
   * is mined (spec §7, "a subscription for low latency"); reads stay on `client`, and polling
   * every `pollIntervalMs` remains the fallback while the subscription is down.
   */
  wsUrl?: string;
  /** Longest wait between retries after an RPC failure. Default 30,000 ms. */
  maxBackoffMs?: number;
  /**
   * How many blocks back the hashes of applied blocks are kept: the deepest reorganisation
   * the follower can undo. Default 256.
   */
  reorgWindow?: number;
}

/** What the follower was told when the chain replaced blocks it had applied. */
export interface Reorganisation {
  /** The last applied block the chain still holds: everything after it was rolled back. */
  ancestor: bigint;
  /** The cursor before the rollback. */
  cursor: bigint;
}

export interface FollowerDependencies {
  client: PublicClient;
  /** The last block whose logs were applied, or undefined before the first batch. */
  loadCursor(): Promise<bigint | undefined>;
  /** The blocks kept with the cursor (`LogBatch.blocks`, minus those forgotten), in any order. */
  loadBlocks(): Promise<BlockRef[]>;
  /**
   * Undoes what the logs of every block after `ancestor` did, forgets those blocks and moves
   * the cursor back to `ancestor`, atomically: the chain replaced them (a reorganisation), and
   * the follower then reads and applies the chain's blocks from there again.
   */
  rollback(ancestor: bigint): Promise<void>;
  /** Called after each rollback (structured logging and metrics are the caller's). */
  onReorg?(reorg: Reorganisation): void;
  /**
   * Applies a batch and stores `batch.toBlock` as the new cursor, atomically (one database
   * transaction): a crash between the two would apply logs twice. Must be idempotent anyway.
   */
  apply(batch: LogBatch): Promise<void>;
  /** Called with each failure that the follower retries (structured logging is the caller's). */
  onError?(error: unknown, context: { fromBlock: bigint; toBlock: bigint; range: bigint }): void;
  /**
   * The topics (32-byte values: an indexed address or id) any log the caller cares about
   * carries. A block whose log bloom, from the new-block subscription, rules out all of them
   * is passed over without `eth_getLogs` — on a busy network most blocks are other nodes'
   * business. Undefined: every block is read.
   */
  relevantTopics?(): Hex[];
  /**
   * Reads the logs of a block range (inclusive) that the caller wants, in any order. Default:
   * every log of the contract (`eth_getLogs` by address). A caller that wants few of them
   * (a node: its own tasks) filters by topic here, so that the RPC node neither sends nor the
   * caller parses the rest.
   */
  readLogs?(range: { fromBlock: bigint; toBlock: bigint }): Promise<Log[]>;
  /**
   * The log filters (topic positions on the followed contract) that together match every log
   * the caller must act on at once (the step they cause reads the rest of their blocks' logs
   * with `readLogs`). With `wsUrl` and no confirmations, the follower subscribes to these logs
   * instead of to new blocks, asking again after each step: it wakes only for blocks that hold
   * one (a node on a busy network: a handful of blocks instead of all). Their notifications
   * carry no bloom; the cursor moves over the other blocks at the next step (the poll, or
   * `requestStep()`).
   */
  logFilters?(): TopicFilter[][];
  /** Called when the new-block subscription fails (it is reopened by itself). */
  onSubscriptionError?(error: Error): void;
}

export interface FollowerStatus {
  cursor: bigint | undefined;
  head: bigint | undefined;
  /** Blocks between the chain head and the cursor. */
  lag: bigint | undefined;
  range: bigint;
}

/** The chain's head: its number, its time when an announcement carried it, and when it was learnt. */
interface KnownHead {
  number: bigint;
  timestamp?: bigint;
  receivedAt: number;
}

/** How much longer the poll waits while a subscription is live. */
const SUBSCRIBED_POLL_FACTOR = 10;

/**
 * Follows one contract's logs from a persisted cursor: waits for `confirmations`, reads with
 * `eth_getLogs` in ranges that halve on failure and double on success, and hands batches in
 * (block, log index) order to `apply`, which persists the cursor with its effects. Restarting
 * or replaying a range therefore changes nothing. It keeps the hashes of applied blocks (with
 * the cursor, through `apply`) and checks that each new range continues the cursor's block;
 * when the chain replaced it, it finds the newest kept block the chain still holds and has the
 * caller `rollback` to it, then applies the chain's blocks from there.
 *
 * @example
 * const follower = new ChainFollower(
 *   { address: taskManager, fromBlock: deploymentBlock, confirmations: 3 },
 *   { client, loadCursor, loadBlocks, apply, rollback },
 * );
 * await follower.run(shutdown.signal);
 */
export class ChainFollower {
  private range: bigint;
  /**
   * The chain's head as the follower knows it — the one notion of head: the newest
   * announcement (after a reorganisation it may be lower than an earlier one), or what a step
   * read when nothing newer than the cursor was announced.
   */
  private head: KnownHead | undefined;
  /** Whether a notification came since the last step (its head then needs no read). */
  private announced = false;
  private cursor: bigint | undefined;
  /** The last block `wantsStep` found irrelevant for the topics `key`. */
  private scanned = { key: "", through: -1n };
  /** Log blooms of announced blocks not yet applied. */
  private readonly blooms = new Map<bigint, Uint8Array>();
  /** Hashes of announced blocks not yet applied (newHeads carries them: no read needed). */
  private readonly links = new Map<bigint, BlockLink>();
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly options: FollowerOptions,
    private readonly deps: FollowerDependencies,
  ) {
    this.range = options.maxRange ?? 2000n;
  }

  /**
   * The newest block the subscription announced, with its time and when the announcement came
   * (undefined without a subscription, or when it is older than the cursor): a reader can use
   * it instead of asking for the latest block, as long as it is recent.
   */
  latestHead(): { number: bigint; timestamp: bigint; receivedAt: number } | undefined {
    const head = this.head;
    if (head?.timestamp === undefined) return undefined;
    // Not one behind the blocks already applied (a poll can read past the last notification):
    // a reader would see the chain before the logs it is acting on, e.g. a task not created yet.
    if (this.cursor !== undefined && head.number < this.cursor) return undefined;
    return { number: head.number, timestamp: head.timestamp, receivedAt: head.receivedAt };
  }

  status(): FollowerStatus {
    const head = this.head?.number;
    const lag = head === undefined || this.cursor === undefined ? undefined : head - this.cursor;
    return { cursor: this.cursor, head, lag, range: this.range };
  }

  /**
   * Reads and applies at most one range. Returns true when the cursor has reached the last
   * confirmed block. Throws what the RPC or `apply` throws (the range is halved first when
   * the read failed).
   */
  async step(): Promise<boolean> {
    const confirmations = BigInt(this.options.confirmations ?? 0);
    const cursor = (await this.deps.loadCursor()) ?? this.options.fromBlock - 1n;
    this.cursor = cursor;
    // A block notification names the head: no need to ask for it again.
    const announced = this.announced;
    this.announced = false;
    let head = this.head;
    if (!(announced && head && head.number > cursor)) {
      const number = await this.deps.client.getBlockNumber({ cacheTime: 0 });
      if (head?.number !== number) head = { number, receivedAt: Date.now() };
      this.head = head;
    }
    const safe = head.number - confirmations;
    if (cursor >= safe) return true;
    const fromBlock = cursor + 1n;
    const toBlock = safe < cursor + this.range ? safe : cursor + this.range;
    const kept = await this.deps.loadBlocks();
    const last = await this.link(toBlock);
    // The range must continue the applied chain: its first block's parent is the cursor block.
    const cursorRef = kept.find((ref) => ref.number === cursor);
    if (cursorRef) {
      const parent = fromBlock === toBlock ? last.parentHash : (await this.link(cursor)).hash;
      if (parent.toLowerCase() !== cursorRef.hash.toLowerCase()) {
        await this.reorganise(kept, cursor);
        return false;
      }
    }
    let logs: Log[] = [];
    if (!this.irrelevant(fromBlock, toBlock)) {
      try {
        logs = this.deps.readLogs
          ? await this.deps.readLogs({ fromBlock, toBlock })
          : await this.deps.client.getLogs({ address: this.options.address, fromBlock, toBlock });
      } catch (error) {
        // Providers refuse large ranges in many ways; a smaller range is the one answer to all.
        if (this.range > 1n) this.range /= 2n;
        throw error;
      }
    }
    try {
      assertLogsFrom(logs, toBlock, last.hash);
    } catch (error) {
      this.links.clear(); // the announcement was of a block since replaced: read it next time
      throw error;
    }
    logs.sort((a, b) =>
      a.blockNumber === b.blockNumber
        ? Number((a.logIndex ?? 0) - (b.logIndex ?? 0))
        : Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n)),
    );
    const window = BigInt(this.options.reorgWindow ?? 256);
    const blocks = blocksToKeep(toBlock, last.hash, logs, window);
    await this.deps.apply({ fromBlock, toBlock, logs, blocks, forgetBelow: toBlock - window });
    this.cursor = toBlock;
    for (const block of this.blooms.keys()) if (block <= toBlock) this.blooms.delete(block);
    for (const block of this.links.keys()) if (block <= toBlock) this.links.delete(block);
    const max = this.options.maxRange ?? 2000n;
    if (this.range < max) this.range = this.range * 2n > max ? max : this.range * 2n;
    return toBlock >= safe;
  }

  /**
   * Follows until `signal` aborts; survives RPC and apply failures with capped exponential
   * backoff. A new block (the `wsUrl` subscription, else viem's block watcher on `client`)
   * wakes it at once; `pollIntervalMs` is the fallback.
   */
  async run(signal: AbortSignal): Promise<void> {
    const watcher = this.watchBlocks(({ number, timestamp, logsBloom, hash, parentHash }) => {
      // The newest announcement of a number wins: after a reorganisation it names the new block.
      if (hash && parentHash && this.links.size < 10_000) this.links.set(number, { hash, parentHash });
      // The newest notification, not the highest number: after a reorganisation the chain may be shorter.
      this.head = { number, timestamp, receivedAt: Date.now() };
      this.announced = true;
      // Blooms only serve a caller that names its topics (the relay reads every block).
      if (logsBloom && this.deps.relevantTopics && this.blooms.size < 10_000)
        this.blooms.set(number, hexToBytes(logsBloom));
      if (this.wantsStep()) this.wakeup.wake();
    });
    try {
      await this.loop(signal, watcher);
    } finally {
      watcher.stop();
    }
  }

  /**
   * Whether a step now could find something the caller wants: a confirmed, unapplied block
   * whose bloom may hold its topics (or that has no bloom). Blocks that are other nodes'
   * business wake nobody; the cursor passes over them at the next step, or after
   * `pollIntervalMs` — on a busy chain that saves each node a step per block.
   */
  private wantsStep(): boolean {
    const topics = this.deps.relevantTopics?.();
    if (!topics || this.head === undefined) return true;
    const safe = this.head.number - BigInt(this.options.confirmations ?? 0);
    // Blocks already found irrelevant for the same topics are not checked again.
    const key = topics.join();
    if (key !== this.scanned.key) this.scanned = { key, through: -1n };
    const cursor = this.cursor ?? this.options.fromBlock - 1n;
    for (let block = (cursor > this.scanned.through ? cursor : this.scanned.through) + 1n; block <= safe; block++) {
      const bloom = this.blooms.get(block);
      if (!bloom || this.mayMatter(bloom, topics)) return true;
      this.scanned.through = block;
    }
    return false;
  }

  /** Whether every block of the range is known, by its bloom, to hold nothing the caller wants. */
  private irrelevant(fromBlock: bigint, toBlock: bigint): boolean {
    const topics = this.deps.relevantTopics?.();
    if (!topics) return false;
    for (let block = fromBlock; block <= toBlock; block++) {
      const bloom = this.blooms.get(block);
      if (!bloom || this.mayMatter(bloom, topics)) return false;
    }
    return true;
  }

  /** A block's hash and parent hash: from its announcement when there was one, else read. */
  private async link(number: bigint): Promise<BlockLink> {
    const link = this.links.get(number) ?? (await readLink(this.deps.client, number));
    if (!link) throw new ChainMovedError(`the RPC node has no block ${number} (yet)`);
    return link;
  }

  /**
   * The chain no longer holds the cursor block: finds the newest kept block it still holds and
   * has the caller roll back to it. What was announced about the replaced blocks is dropped
   * (their blooms and hashes describe blocks that are gone).
   */
  private async reorganise(kept: BlockRef[], cursor: bigint): Promise<void> {
    this.links.clear();
    this.blooms.clear();
    this.scanned = { key: "", through: -1n };
    const ancestor = await findCommonAncestor(this.deps.client, kept, cursor);
    await this.deps.rollback(ancestor);
    this.cursor = ancestor;
    this.deps.onReorg?.({ ancestor, cursor });
  }

  private mayMatter(bloom: Uint8Array, topics: Hex[]): boolean {
    return bloomMayContain(bloom, this.options.address) && topics.some((topic) => bloomMayContain(bloom, topic));
  }

  private watchBlocks(onBlock: (head: Head) => void): HeadWatcher {
    const { wsUrl, address, confirmations } = this.options;
    // Blocks mined before a subscription went live are read by the step it asks for.
    const watchOptions = { onError: this.deps.onSubscriptionError, onSubscribed: () => this.wakeup.wake() };
    if (wsUrl && this.deps.logFilters && !confirmations)
      return watchLogs(wsUrl, address, () => this.deps.logFilters?.() ?? [], onBlock, watchOptions);
    if (wsUrl) return watchHeads(wsUrl, onBlock, watchOptions);
    const stop = this.deps.client.watchBlockNumber({
      onBlockNumber: (number) => onBlock({ number }),
      onError: () => undefined, // the loop's own reads report failures
      pollingInterval: this.options.pollIntervalMs ?? 1000,
    });
    return { connected: false, refresh: () => undefined, stop };
  }

  /**
   * Asks `run()` for a step now: for a reader that needs the cursor past a block no
   * subscription will announce (a node's log subscriptions name only its own blocks).
   */
  requestStep(): void {
    this.wakeup.wake();
  }

  private async loop(signal: AbortSignal, watcher: HeadWatcher): Promise<void> {
    const wakeup = this.wakeup;
    const pollMs = this.options.pollIntervalMs ?? 1000;
    let backoff = 0;
    while (!signal.aborted) {
      let caughtUp = false;
      // The step about to run serves every wake so far; only a later one should start another
      // (else each block cost a second step, and an eth_blockNumber, to learn nothing).
      wakeup.clear();
      const before = this.cursor;
      try {
        caughtUp = await this.step();
        backoff = 0;
        watcher.refresh(); // the step may have changed what the caller wants to hear of
      } catch (error) {
        const range = this.range;
        const from = (this.cursor ?? this.options.fromBlock - 1n) + 1n;
        this.deps.onError?.(error, { fromBlock: from, toBlock: from + range - 1n, range });
        backoff = nextDelay(backoff, { firstMs: 250, maxMs: this.options.maxBackoffMs ?? 30_000 });
        await pause(backoff, signal);
        continue;
      }
      // A block announced during the step may matter now that the step changed the topics (but
      // only a step that moved on is repeated at once: an RPC node lagging the subscription
      // must not be asked in a busy loop).
      const moved = this.cursor !== before;
      // While the subscription is live the poll is only a safety net (a silent peer is caught by
      // its heartbeat): on a quiet chain thirty nodes polling each second cost more than the tasks.
      if (caughtUp && !(moved && this.wantsStep()))
        await wakeup.wait(watcher.connected ? pollMs * SUBSCRIBED_POLL_FACTOR : pollMs, signal);
    }
  }
}

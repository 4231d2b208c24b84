import { ChainFollower } from "@hydrogen/chain";
import { pause } from "@hydrogen/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { PublicClient } from "viem";
import { loadBlocks, rewindCursor, storeBlocks } from "../db/blocks.ts";
import { acquireLease, holdsLease, loadCursor, releaseLease, storeCursor } from "../db/lease.ts";
import type { Database } from "../db/schema.ts";
import type { RelayMetrics } from "../metrics.ts";
import { applyBatch } from "./apply.ts";
import { rollbackLogs } from "./rollback.ts";

export interface ChainSyncOptions {
  taskManager: `0x${string}`;
  /** The NodeRegistry, whose logs the index follows too (nodes, stakes, slashes). */
  nodeRegistry?: `0x${string}`;
  fromBlock: number;
  confirmations: number;
  /** How many blocks back applied block hashes are kept (the deepest reorganisation undone). */
  reorgWindow?: number;
  pollIntervalMs: number;
  /** A WebSocket RPC URL whose new-block subscription wakes the follower. */
  wsUrl?: string;
  maxRange: number;
  leaseMs: number;
  renewMs: number;
  /** This instance's name in the lease table. */
  instanceId: string;
}

export interface ChainSyncDependencies {
  db: Kysely<Database>;
  client: PublicClient;
  log: Logger;
  metrics: RelayMetrics;
}

/** The follower lost its lease inside a batch: the batch is rolled back and the loop stops following. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

const LEASE = "chain-follower";

/**
 * Follows the TaskManager's logs into the database while this instance holds the follower
 * lease; every instance competes for it, so when the leader dies another one takes over
 * within `leaseMs`. Each batch is applied in one transaction with the cursor and a lease
 * check (fencing), so a paused ex-leader cannot write after losing the lease.
 */
export class ChainSync {
  /** The follower while this instance holds the lease. */
  private following: ChainFollower | undefined;
  private leader = false;
  private readonly cursorName: string;

  constructor(
    private readonly options: ChainSyncOptions,
    private readonly deps: ChainSyncDependencies,
  ) {
    this.cursorName = `task-manager:${options.taskManager.toLowerCase()}`;
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** The last applied block, from the database (correct on every instance, leader or not). */
  cursor(): Promise<bigint | undefined> {
    return loadCursor(this.deps.db, this.cursorName);
  }

  /** Competes for the lease and follows while holding it, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { db, log } = this.deps;
    while (!signal.aborted) {
      let acquired = false;
      try {
        acquired = await acquireLease(db, LEASE, this.options.instanceId, Date.now(), this.options.leaseMs);
      } catch (error) {
        log.warn({ err: error }, "cannot reach the database for the follower lease");
      }
      if (acquired) await this.lead(signal);
      else await pause(this.options.renewMs, signal);
    }
    this.leader = false;
    await releaseLease(db, LEASE, this.options.instanceId).catch(() => undefined);
  }

  private async lead(signal: AbortSignal): Promise<void> {
    const { db, log, metrics } = this.deps;
    this.leader = true;
    metrics.leader.set(1);
    log.info({ instance: this.options.instanceId }, "this instance now follows the chain");
    const following = new AbortController();
    const stop = () => following.abort();
    signal.addEventListener("abort", stop, { once: true });
    const renew = setInterval(() => {
      acquireLease(db, LEASE, this.options.instanceId, Date.now(), this.options.leaseMs)
        .then((held) => {
          if (!held) {
            log.warn("lost the follower lease; another instance follows the chain now");
            following.abort();
          }
        })
        .catch((error: unknown) => {
          log.warn({ err: error }, "cannot renew the follower lease");
        });
    }, this.options.renewMs);
    const follower = this.follower(following);
    this.following = follower;
    try {
      await follower.run(following.signal);
    } finally {
      this.following = undefined;
      clearInterval(renew);
      signal.removeEventListener("abort", stop);
      this.leader = false;
      metrics.leader.set(0);
    }
  }

  /** Asks the follower (when this instance follows) to read the chain now rather than at its next poll. */
  catchUp(): void {
    this.following?.requestStep();
  }

  private follower(following: AbortController): ChainFollower {
    const { db, client, log, metrics } = this.deps;
    const { instanceId, nodeRegistry } = this.options;
    return new ChainFollower(
      {
        address: this.options.taskManager,
        fromBlock: BigInt(this.options.fromBlock),
        confirmations: this.options.confirmations,
        reorgWindow: this.options.reorgWindow,
        pollIntervalMs: this.options.pollIntervalMs,
        wsUrl: this.options.wsUrl,
        maxRange: BigInt(this.options.maxRange),
      },
      {
        client,
        loadCursor: () => this.cursor(),
        loadBlocks: () => loadBlocks(db, this.cursorName),
        readLogs: ({ fromBlock, toBlock }) =>
          client.getLogs({
            address: nodeRegistry ? [this.options.taskManager, nodeRegistry] : this.options.taskManager,
            fromBlock,
            toBlock,
          }),
        apply: async (batch) => {
          const counts = await db.transaction().execute(async (trx) => {
            if (!(await holdsLease(trx, LEASE, instanceId, Date.now()))) throw new LeaseLostError("lease lost");
            const applied = await applyBatch(trx, batch, Date.now(), nodeRegistry);
            await storeCursor(trx, this.cursorName, batch.toBlock);
            await storeBlocks(trx, this.cursorName, batch.blocks, batch.forgetBelow);
            return applied;
          });
          for (const [event, count] of Object.entries(counts)) metrics.chainEvents.inc({ event }, count);
          metrics.cursor.set(Number(batch.toBlock));
          if (batch.logs.length) {
            log.debug({ from: batch.fromBlock, to: batch.toBlock, events: counts }, "applied chain logs");
          }
        },
        rollback: async (ancestor) => {
          const touched = await db.transaction().execute(async (trx) => {
            if (!(await holdsLease(trx, LEASE, instanceId, Date.now()))) throw new LeaseLostError("lease lost");
            const tasks = await rollbackLogs(trx, ancestor, Date.now());
            await rewindCursor(trx, this.cursorName, ancestor);
            return tasks;
          });
          if (touched.length) log.info({ ancestor: String(ancestor), tasks: touched }, "rolled back tasks");
        },
        onReorg: ({ ancestor, cursor }) => {
          metrics.reorgs.inc();
          metrics.cursor.set(Number(ancestor));
          log.warn(
            { ancestor: String(ancestor), cursor: String(cursor) },
            "the chain replaced applied blocks; rolled back to the common ancestor",
          );
        },
        onSubscriptionError: (error) =>
          log.warn({ err: error }, "new-block subscription lost; polling until it is back"),
        onError: (error, context) => {
          if (error instanceof LeaseLostError) return following.abort();
          metrics.followerErrors.inc();
          log.warn(
            { err: error, from: context.fromBlock, to: context.toBlock },
            "chain follower step failed; retrying",
          );
        },
      },
    );
  }
}

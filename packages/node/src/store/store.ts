import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BlockRef } from "@hydrogen/chain";
import Database from "better-sqlite3";
import type { Address, Hex } from "viem";
import type { TaskState } from "../task/state.ts";
import { migrate } from "./migrations.ts";

/** One task as this node stores it. */
export interface TaskRecord {
  taskId: bigint;
  round: number;
  taskHash: Hex;
  creator: Address;
  createdBlock: bigint;
  state: TaskState;
  /** The verified arguments JSON, once fetched. */
  args?: string;
  /** Chain facts about this node in the task, from events. */
  paidWei: bigint;
  slashed: boolean;
  abortReason?: string;
  resultNode?: Address;
  /** Milliseconds since the epoch at each step (for the status page and the benchmark). */
  timings: Record<string, number>;
  /** The last failure of a step of this task (this node's trouble, retried): what the operator must fix. */
  lastFailure?: StepFailure;
  /**
   * Set when a reorganisation removed the task's creation: the block rolled back to. The task
   * waits until the same task selects this node again (then this is cleared) or is given up.
   */
  orphanedAt?: bigint;
  receivedAt: number;
  updatedAt: number;
}

/** One step that failed (and was retried), as the operator reads it. */
export interface StepFailure {
  step: string;
  code: string;
  reason: string;
  /** Milliseconds since the epoch of the last one; how many so far. */
  at: number;
  count: number;
}

/** How a settled task ended for this node, derived from its chain facts. */
export type Outcome = "paid" | "slashed" | "aborted" | "cancelled" | "unpaid";

export function outcomeOf(task: TaskRecord): Outcome | undefined {
  if (task.state.phase !== "settled") return undefined;
  if (task.slashed) return "slashed";
  if (task.paidWei > 0n) return "paid";
  if (task.abortReason === "Cancelled") return "cancelled";
  if (task.abortReason) return "aborted";
  return "unpaid";
}

/** What the chain's events say about this node in a task. */
export interface ChainFacts {
  paidWei?: bigint;
  slashed?: boolean;
  abortReason?: string;
  resultNode?: Address;
}

/** The block each recorded fact came from. */
type FactBlocks = Partial<Record<keyof ChainFacts, number>>;

/** A state was saved for a task whose row now holds another task (a reorganisation gave its id away). */
export class TaskReplacedError extends Error {
  override readonly name = "TaskReplacedError";
}

/** The node's database belongs to another address, chain or deployment. */
export class StoreIdentityError extends Error {
  override readonly name = "StoreIdentityError";
}

interface TaskRow {
  task_id: string;
  round: number;
  task_hash: string;
  creator: string;
  created_block: number;
  state: string;
  args: string | null;
  paid_wei: string;
  slashed: number;
  abort_reason: string | null;
  result_node: string | null;
  timings: string;
  last_failure: string | null;
  orphaned_at: number | null;
  fact_blocks: string | null;
  received_at: number;
  updated_at: number;
}

function toRecord(row: TaskRow): TaskRecord {
  return {
    taskId: BigInt(row.task_id),
    round: row.round,
    taskHash: row.task_hash as Hex,
    creator: row.creator as Address,
    createdBlock: BigInt(row.created_block),
    state: JSON.parse(row.state) as TaskState,
    args: row.args ?? undefined,
    paidWei: BigInt(row.paid_wei),
    slashed: row.slashed === 1,
    abortReason: row.abort_reason ?? undefined,
    resultNode: (row.result_node as Address | null) ?? undefined,
    timings: JSON.parse(row.timings) as Record<string, number>,
    lastFailure: row.last_failure ? (JSON.parse(row.last_failure) as StepFailure) : undefined,
    orphanedAt: row.orphaned_at === null ? undefined : BigInt(row.orphaned_at),
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
  };
}

/** Longest time the stored cursor trails the applied one when batches change nothing. */
const CURSOR_WRITE_INTERVAL_MS = 1000;

/**
 * The node's own store (SQLite in WAL mode): tasks with their state, the images of tasks not
 * yet settled, the chain cursor, and transactions sent. Writes that belong together happen in
 * one transaction.
 *
 * Every commit survives the process being killed (WAL, synchronous=NORMAL). The one write the
 * protocol cannot do without — the result, salt and images, before the commitment goes on
 * chain — is also synced to disk (synchronous=FULL for that transaction), so it survives power
 * loss too; the rest (phases the chain also records, the cursor, accounting) is rebuilt from
 * the chain if a power cut takes the last of it, and costs no fsync.
 */
export class NodeStore {
  readonly db: Database.Database;
  private liveCursor: bigint | undefined;
  private liveBlocks: Map<bigint, string> | undefined;
  private cursorWrittenAt = 0;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    migrate(this.db);
  }

  /** A prepared statement, compiled once per text (a busy node runs the same few many times a second). */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Binds the store to one node on one deployment; a mismatch later is refused (a copied or misconfigured data dir). */
  bindIdentity(identity: { chainId: number; taskManager: Address; node: Address }): void {
    const value = `${identity.chainId}:${identity.taskManager.toLowerCase()}:${identity.node.toLowerCase()}`;
    const row = this.sql("SELECT value FROM meta WHERE key = 'identity'").get() as { value: string } | undefined;
    if (!row) this.sql("INSERT INTO meta (key, value) VALUES ('identity', ?)").run(value);
    else if (row.value !== value) {
      throw new StoreIdentityError(
        `this data directory belongs to ${row.value} (chain:taskManager:node), not ${value}`,
      );
    }
  }

  /** The last block whose logs were applied (possibly ahead of what is on disk: see `setCursor`). */
  cursor(): bigint | undefined {
    if (this.liveCursor !== undefined) return this.liveCursor;
    const row = this.sql("SELECT value FROM meta WHERE key = 'cursor'").get() as { value: string } | undefined;
    return row ? BigInt(row.value) : undefined;
  }

  /**
   * Moves the cursor. It is written to disk when `durable` (the batch changed something) or
   * when the last write is older than a second; otherwise only in memory. Applying logs is
   * idempotent, so a crash merely replays the few blocks after the stored cursor — and a busy
   * chain does not cost one fsync per block.
   */
  setCursor(block: bigint, durable = true, kept?: { blocks: BlockRef[]; forgetBelow: bigint }): void {
    this.liveCursor = block;
    if (kept) {
      const blocks = this.loadBlockMap();
      for (const ref of kept.blocks) blocks.set(ref.number, ref.hash);
      for (const number of blocks.keys()) if (number < kept.forgetBelow) blocks.delete(number);
    }
    if (!durable && Date.now() - this.cursorWrittenAt < CURSOR_WRITE_INTERVAL_MS) return;
    this.writeCursor(block);
  }

  /** The kept hashes of applied blocks (the follower's reorganisation check), as written with the cursor. */
  blocks(): BlockRef[] {
    return [...this.loadBlockMap()].map(([number, hash]) => ({ number, hash: hash as Hex }));
  }

  private loadBlockMap(): Map<bigint, string> {
    if (!this.liveBlocks) {
      const row = this.sql("SELECT value FROM meta WHERE key = 'blocks'").get() as { value: string } | undefined;
      const pairs = row ? (JSON.parse(row.value) as [string, string][]) : [];
      this.liveBlocks = new Map(pairs.map(([number, hash]) => [BigInt(number), hash]));
    }
    return this.liveBlocks;
  }

  /** Writes the cursor and the kept block hashes together: a crash leaves a pair that belongs together. */
  private writeCursor(block: bigint): void {
    this.cursorWrittenAt = Date.now();
    const upsert = this.sql(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    const blocks = JSON.stringify([...this.loadBlockMap()].map(([number, hash]) => [number.toString(), hash]));
    this.transaction(() => {
      upsert.run("cursor", block.toString());
      upsert.run("blocks", blocks);
    });
  }

  /**
   * Undoes what the logs after `ancestor` recorded (a reorganisation replaced those blocks), in
   * one durable transaction with the cursor: tasks created after it become orphans (kept, with
   * their salt and images, until the same task selects this node again; a settled one is
   * forgotten), and chain facts from after it are cleared, to be recorded again from the
   * chain's blocks (a task settled on them reopens). Returns the tasks touched.
   */
  rollback(ancestor: bigint): bigint[] {
    const after = Number(ancestor);
    return this.durableTransaction(() => {
      const rows = this.sql("SELECT * FROM tasks WHERE created_block > ? OR facts_block > ?").all(
        after,
        after,
      ) as TaskRow[];
      const touched: bigint[] = [];
      for (const row of rows) {
        const task = toRecord(row);
        const { state } = task;
        if (task.createdBlock > ancestor) {
          // Its creation is gone, and with it everything this node sent for it. A settled one
          // has nothing left worth keeping (its images went at the settlement): it is forgotten,
          // and starts over if the task selects this node again.
          if (state.phase === "settled") this.sql("DELETE FROM tasks WHERE task_id = ?").run(row.task_id);
          else {
            this.undoFacts(row, after);
            if (task.orphanedAt === undefined)
              this.sql("UPDATE tasks SET orphaned_at = ? WHERE task_id = ?").run(after, row.task_id);
          }
          touched.push(task.taskId);
          continue;
        }
        // The task stands, but facts from after the ancestor (payment, slash, end) are undone; a
        // task settled on them is reopened where it was, to look at the chain again.
        this.undoFacts(row, after);
        if (state.phase === "settled" && state.previous)
          this.sql("UPDATE tasks SET state = ?, phase = ? WHERE task_id = ?").run(
            JSON.stringify(state.previous),
            state.previous.phase,
            row.task_id,
          );
        touched.push(task.taskId);
      }
      const blocks = this.loadBlockMap();
      for (const number of blocks.keys()) if (number > ancestor) blocks.delete(number);
      this.liveCursor = ancestor;
      this.writeCursor(ancestor);
      return touched;
    });
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Runs `fn` in one transaction that is on disk (fsync) when this returns. */
  durableTransaction<T>(fn: () => T): T {
    this.db.pragma("synchronous = FULL");
    try {
      return this.transaction(fn);
    } finally {
      this.db.pragma("synchronous = NORMAL");
    }
  }

  /**
   * Records a task this node was selected for; a second call for the same task is a no-op.
   * Returns true when new, or when it ends an orphan: the same task created again (it goes on
   * where it was) or another task that took its id (it starts over). Returns false otherwise.
   */
  insertTask(task: { taskId: bigint; round: number; taskHash: Hex; creator: Address; createdBlock: bigint }): boolean {
    const id = task.taskId.toString();
    const held = this.sql("SELECT round, task_hash, creator, orphaned_at FROM tasks WHERE task_id = ?").get(id) as
      | { round: number; task_hash: string; creator: string; orphaned_at: number | null }
      | undefined;
    if (held && held.orphaned_at === null) return false;
    const same =
      held?.round === task.round &&
      held.task_hash.toLowerCase() === task.taskHash.toLowerCase() &&
      held.creator.toLowerCase() === task.creator.toLowerCase();
    if (same) {
      this.sql("UPDATE tasks SET orphaned_at = NULL, created_block = ? WHERE task_id = ?").run(
        Number(task.createdBlock),
        id,
      );
      return true;
    }
    const now = Date.now();
    const state: TaskState = { phase: "assigned" };
    this.transaction(() => {
      // Another task took the orphan's id: nothing of the old one may be used for it.
      if (held) this.sql("DELETE FROM tasks WHERE task_id = ?").run(id);
      this.sql(
        `INSERT INTO tasks (task_id, round, task_hash, creator, created_block, state, phase, timings, received_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        task.round,
        task.taskHash,
        task.creator,
        Number(task.createdBlock),
        JSON.stringify(state),
        state.phase,
        JSON.stringify({ assigned: now }),
        now,
        now,
      );
    });
    return true;
  }

  /** Tasks a reorganisation orphaned that were created again for other nodes, or never: given up. */
  forgetOrphan(taskId: bigint): void {
    this.sql("DELETE FROM tasks WHERE task_id = ? AND orphaned_at IS NOT NULL").run(taskId.toString());
  }

  /** Whether this node was selected for the task (cheaper than `task`). */
  hasTask(taskId: bigint): boolean {
    return this.sql("SELECT 1 FROM tasks WHERE task_id = ?").pluck().get(taskId.toString()) !== undefined;
  }

  task(taskId: bigint): TaskRecord | undefined {
    const row = this.sql("SELECT * FROM tasks WHERE task_id = ?").get(taskId.toString()) as TaskRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Tasks not settled yet, oldest first (what the node resumes on start). */
  openTasks(): TaskRecord[] {
    const rows = this.sql(
      "SELECT * FROM tasks WHERE phase != 'settled' ORDER BY CAST(task_id AS INTEGER)",
    ).all() as TaskRow[];
    return rows.map(toRecord);
  }

  recentTasks(limit: number): TaskRecord[] {
    const rows = this.sql("SELECT * FROM tasks ORDER BY received_at DESC, CAST(task_id AS INTEGER) DESC LIMIT ?").all(
      limit,
    ) as TaskRow[];
    return rows.map(toRecord);
  }

  /**
   * Moves a task to `state`, with the images and arguments that belong to it, in one
   * transaction: after a crash either all of it is there or none. A state that carries images
   * (the executed result, salt and images) is synced to disk before this returns.
   */
  saveState(
    taskId: bigint,
    state: TaskState,
    extra: {
      args?: string;
      images?: readonly Uint8Array[];
      marks?: Record<string, number>;
      /** The task hash the state belongs to: refused (TaskReplacedError) if the row now holds another task. */
      taskHash?: Hex;
    } = {},
  ): void {
    const write = () => {
      const id = taskId.toString();
      const now = Date.now();
      const held = extra.taskHash
        ? (this.sql("SELECT task_hash FROM tasks WHERE task_id = ?").pluck().get(id) as string | undefined)
        : undefined;
      if (extra.taskHash && held && held.toLowerCase() !== extra.taskHash.toLowerCase())
        throw new TaskReplacedError(`task ${id} now holds another task (a reorganisation gave its id away)`);
      if (extra.images) {
        this.sql("DELETE FROM images WHERE task_id = ?").run(id);
        const insert = this.sql("INSERT INTO images (task_id, idx, png) VALUES (?, ?, ?)");
        extra.images.forEach((png, index) => {
          insert.run(id, index, Buffer.from(png));
        });
      }
      const info = this.sql(
        `UPDATE tasks SET state = ?, phase = ?, args = COALESCE(?, args),
             timings = json_set(timings, '$.' || ?, ?), updated_at = ? WHERE task_id = ?`,
      ).run(JSON.stringify(state), state.phase, extra.args ?? null, state.phase, now, now, id);
      if (info.changes !== 1) throw new Error(`task ${id} is not in the store`);
      if (extra.marks) this.mark(taskId, extra.marks);
      // Settled tasks need no images: the relay has them, or nobody will ask.
      if (state.phase === "settled") this.sql("DELETE FROM images WHERE task_id = ?").run(id);
    };
    if (extra.images) this.durableTransaction(write);
    else this.transaction(write);
  }

  /** Records a failed step of a task (counting repeats); returns the record. */
  recordFailure(taskId: bigint, failure: Omit<StepFailure, "count" | "at">): StepFailure {
    const id = taskId.toString();
    const row = this.sql("SELECT last_failure FROM tasks WHERE task_id = ?").get(id) as
      | { last_failure: string | null }
      | undefined;
    const previous = row?.last_failure ? (JSON.parse(row.last_failure) as StepFailure) : undefined;
    const record: StepFailure = { ...failure, at: Date.now(), count: (previous?.count ?? 0) + 1 };
    this.sql("UPDATE tasks SET last_failure = ? WHERE task_id = ?").run(JSON.stringify(record), id);
    return record;
  }

  /** Settled tasks this node was not paid for because of its own failures, by failure code (newest `limit` tasks). */
  /** The newest settled tasks that paid this node nothing (slashed, missed, aborted), newest first. */
  lostTasks(limit: number): TaskRecord[] {
    const rows = this.sql(
      `SELECT * FROM tasks WHERE phase = 'settled' AND (slashed = 1 OR paid_wei = '0')
         ORDER BY received_at DESC, CAST(task_id AS INTEGER) DESC LIMIT ?`,
    ).all(limit) as TaskRow[];
    return rows.map(toRecord);
  }

  missedByCode(limit = 100): Record<string, number> {
    const rows = this.sql(
      `SELECT last_failure FROM tasks WHERE phase = 'settled' AND paid_wei = '0' AND slashed = 0
         AND last_failure IS NOT NULL ORDER BY received_at DESC LIMIT ?`,
    ).all(limit) as { last_failure: string }[];
    const counts: Record<string, number> = {};
    for (const row of rows) {
      const { code } = JSON.parse(row.last_failure) as StepFailure;
      counts[code] = (counts[code] ?? 0) + 1;
    }
    return counts;
  }

  /** Adds timing marks (milliseconds since the epoch) to a task, in one transaction. */
  mark(taskId: bigint, marks: Record<string, number>): void {
    const update = this.sql("UPDATE tasks SET timings = json_set(timings, '$.' || ?, ?) WHERE task_id = ?");
    this.transaction(() => {
      for (const [name, at] of Object.entries(marks)) update.run(name, at, taskId.toString());
    });
  }

  images(taskId: bigint): Uint8Array[] {
    const rows = this.sql("SELECT png FROM images WHERE task_id = ? ORDER BY idx").all(taskId.toString()) as {
      png: Buffer;
    }[];
    return rows.map((row) => new Uint8Array(row.png));
  }

  /**
   * Chain facts from events, each with the block it came from (a rollback undoes those after
   * its ancestor); idempotent (replaying a block range changes nothing). False when the task is
   * not in the store.
   */
  recordFacts(taskId: bigint, facts: ChainFacts, block = 0n): boolean {
    const id = taskId.toString();
    const held = this.sql("SELECT fact_blocks FROM tasks WHERE task_id = ?").pluck().get(id) as
      | string
      | null
      | undefined;
    if (held === undefined) return false;
    const blocks = JSON.parse(held ?? "{}") as FactBlocks;
    for (const [key, value] of Object.entries(facts))
      if (value !== undefined) blocks[key as keyof ChainFacts] = Number(block);
    this.sql(
      `UPDATE tasks SET paid_wei = COALESCE(?, paid_wei), slashed = MAX(slashed, ?),
           abort_reason = COALESCE(?, abort_reason), result_node = COALESCE(?, result_node),
           fact_blocks = ?, facts_block = ? WHERE task_id = ?`,
    ).run(
      facts.paidWei?.toString() ?? null,
      facts.slashed ? 1 : 0,
      facts.abortReason ?? null,
      facts.resultNode ?? null,
      JSON.stringify(blocks),
      Math.max(...Object.values(blocks)),
      id,
    );
    return true;
  }

  /** Clears the facts that came from blocks after `ancestor` (a rollback). */
  private undoFacts(row: TaskRow, ancestor: number): void {
    const blocks = JSON.parse(row.fact_blocks ?? "{}") as FactBlocks;
    const undone = (key: keyof ChainFacts) => (blocks[key] ?? -1) > ancestor;
    const kept = Object.fromEntries(Object.entries(blocks).filter(([key]) => !undone(key as keyof ChainFacts)));
    const newest = Object.values(kept);
    this.sql(
      `UPDATE tasks SET paid_wei = ?, slashed = ?, abort_reason = ?, result_node = ?, fact_blocks = ?, facts_block = ?
         WHERE task_id = ?`,
    ).run(
      undone("paidWei") ? "0" : row.paid_wei,
      undone("slashed") ? 0 : row.slashed,
      undone("abortReason") ? null : row.abort_reason,
      undone("resultNode") ? null : row.result_node,
      JSON.stringify(kept),
      newest.length ? Math.max(...newest) : null,
      row.task_id,
    );
  }

  recordTransaction(tx: { hash: Hex; taskId?: bigint; functionName: string; gasUsed: bigint; feeWei: bigint }): void {
    this.sql(
      `INSERT INTO transactions (hash, task_id, function, gas_used, fee_wei, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO NOTHING`,
    ).run(
      tx.hash,
      tx.taskId?.toString() ?? null,
      tx.functionName,
      tx.gasUsed.toString(),
      tx.feeWei.toString(),
      Date.now(),
    );
  }

  /** Totals for the status page: earnings, slashes, gas spent. */
  totals(): { earnedWei: bigint; paidTasks: number; slashes: number; transactions: number; feesWei: bigint } {
    const tasks = this.sql("SELECT paid_wei, slashed FROM tasks WHERE paid_wei != '0' OR slashed = 1").all() as {
      paid_wei: string;
      slashed: number;
    }[];
    const txs = this.sql("SELECT fee_wei FROM transactions").all() as { fee_wei: string }[];
    return {
      earnedWei: tasks.reduce((sum, t) => sum + BigInt(t.paid_wei), 0n),
      paidTasks: tasks.filter((t) => t.paid_wei !== "0").length,
      slashes: tasks.filter((t) => t.slashed === 1).length,
      transactions: txs.length,
      feesWei: txs.reduce((sum, t) => sum + BigInt(t.fee_wei), 0n),
    };
  }

  /** Keeps the newest `keep` settled tasks. */
  prune(keep: number): number {
    return this.sql(
      `DELETE FROM tasks WHERE phase = 'settled' AND task_id NOT IN
           (SELECT task_id FROM tasks WHERE phase = 'settled' ORDER BY received_at DESC LIMIT ?)`,
    ).run(keep).changes;
  }

  /** Writes the cursor still held in memory (a clean stop replays nothing), then closes. */
  close(): void {
    if (this.liveCursor !== undefined && this.db.open) this.writeCursor(this.liveCursor);
    this.db.close();
  }
}

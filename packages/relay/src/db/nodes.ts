import type { RelayIndexedNode, RelayNodeHistoryEntry } from "@hydrogen/protocol";
import type { Selectable } from "kysely";
import type { NodeEventsTable, NodesTable } from "./schema.ts";
import type { Db } from "./tasks.ts";

export type NodeEventKind = RelayNodeHistoryEntry["kind"];

/** One event of a node's history as the relay stores it. */
export interface NodeEventInput {
  block: number;
  logIndex: number;
  node: string;
  kind: NodeEventKind;
  taskId?: string;
  amount?: bigint;
  detail?: string;
  txHash?: string | null;
  blockTime?: number | null;
}

type NodeRow = Selectable<NodesTable>;
type NodeEventRow = Selectable<NodeEventsTable>;

/** A node's summary after one more event (the same fold serves each new event and a recount). */
function fold(row: NodeRow | undefined, event: NodeEventRow): NodeRow {
  const next: NodeRow = row
    ? { ...row }
    : {
        address: event.node,
        status: "Quit",
        stake: "0",
        earned: "0",
        paid_tasks: 0,
        slashes: 0,
        missed: 0,
        first_block: event.block,
        last_block: event.block,
      };
  const amount = BigInt(event.amount ?? "0");
  next.last_block = event.block;
  switch (event.kind) {
    case "joined":
      next.stake = (BigInt(next.stake) + amount).toString();
      break;
    case "status":
      next.status = event.detail?.split(">")[1] ?? next.status;
      break;
    case "stake_returned":
    case "stake_slashed":
      next.stake = (BigInt(next.stake) - amount).toString();
      break;
    case "paid":
      next.earned = (BigInt(next.earned) + amount).toString();
      next.paid_tasks += 1;
      break;
    case "slashed":
      next.slashes += 1;
      break;
    case "missed":
      next.missed += 1;
      break;
  }
  return next;
}

async function saveNode(db: Db, row: NodeRow): Promise<void> {
  const { address, ...rest } = row;
  await db
    .insertInto("nodes")
    .values(row)
    .onConflict((oc) => oc.column("address").doUpdateSet(rest))
    .execute();
}

/**
 * Stores a node event and folds it into the node's summary, once: a log applied again (a
 * replayed range) inserts nothing and changes nothing.
 */
export async function recordNodeEvent(db: Db, input: NodeEventInput): Promise<void> {
  const row: NodeEventRow = {
    block: input.block,
    log_index: input.logIndex,
    node: input.node.toLowerCase(),
    kind: input.kind,
    task_id: input.taskId ?? null,
    amount: input.amount === undefined ? null : input.amount.toString(),
    detail: input.detail ?? null,
    tx_hash: input.txHash ?? null,
    block_time: input.blockTime ?? null,
  };
  const inserted = await db
    .insertInto("node_events")
    .values(row)
    .onConflict((oc) => oc.columns(["block", "log_index", "node"]).doNothing())
    .returning("block")
    .execute();
  if (inserted.length === 0) return;
  const held = await db.selectFrom("nodes").selectAll().where("address", "=", row.node).executeTakeFirst();
  await saveNode(db, fold(held, row));
}

/**
 * Forgets the node events of the blocks after `ancestor` (a reorganisation replaced them) and
 * counts each node they touched again from the events that remain. Runs in the caller's
 * transaction.
 */
export async function rollbackNodes(db: Db, ancestor: bigint): Promise<string[]> {
  const after = Number(ancestor);
  const touched = await db.selectFrom("node_events").select("node").distinct().where("block", ">", after).execute();
  if (touched.length === 0) return [];
  await db.deleteFrom("node_events").where("block", ">", after).execute();
  const nodes = touched.map((row) => row.node);
  for (const node of nodes) {
    await db.deleteFrom("nodes").where("address", "=", node).execute();
    const events = await db
      .selectFrom("node_events")
      .selectAll()
      .where("node", "=", node)
      .orderBy("block")
      .orderBy("log_index")
      .execute();
    let row: NodeRow | undefined;
    for (const event of events) row = fold(row, event);
    if (row) await saveNode(db, row);
  }
  return nodes;
}

/** A node as the index lists it (the API's type: the row, numbers as numbers). */
export type IndexedNode = RelayIndexedNode;

/** Status flips every task causes: the summary keeps them, the history leaves them out. */
const ROUTINE = ["Available>Busy", "Busy>Available"];

function indexedNode(row: NodeRow): IndexedNode {
  return { ...row, first_block: Number(row.first_block), last_block: Number(row.last_block) };
}

/** A page of nodes in address order, optionally of one status. */
export async function nodePage(
  db: Db,
  query: { status?: string; after?: string; limit: number },
): Promise<{ nodes: IndexedNode[]; next?: string }> {
  let select = db.selectFrom("nodes").selectAll();
  if (query.status) select = select.where("status", "=", query.status);
  if (query.after) select = select.where("address", ">", query.after.toLowerCase());
  const rows = await select
    .orderBy("address")
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit).map(indexedNode);
  const last = page.at(-1);
  return rows.length > query.limit && last ? { nodes: page, next: last.address } : { nodes: page };
}

export async function findNode(db: Db, address: string): Promise<IndexedNode | undefined> {
  const row = await db.selectFrom("nodes").selectAll().where("address", "=", address.toLowerCase()).executeTakeFirst();
  return row && indexedNode(row);
}

/**
 * A page of a node's history, newest first: joins, status changes (not the flips of every
 * task), stake returned or slashed, payments, slashes and missed tasks with their reasons.
 * `before` is the previous page's `next` (`<block>.<log index>`).
 */
export async function nodeHistoryPage(
  db: Db,
  address: string,
  query: { before?: string; limit: number },
): Promise<{ events: RelayNodeHistoryEntry[]; next?: string }> {
  let select = db
    .selectFrom("node_events")
    .selectAll()
    .where("node", "=", address.toLowerCase())
    .where((eb) => eb.or([eb("kind", "!=", "status"), eb("detail", "not in", ROUTINE)]));
  if (query.before) {
    const [block, index] = query.before.split(".").map(Number) as [number, number];
    select = select.where((eb) =>
      eb.or([eb("block", "<", block), eb.and([eb("block", "=", block), eb("log_index", "<", index)])]),
    );
  }
  const rows = await select
    .orderBy("block", "desc")
    .orderBy("log_index", "desc")
    .limit(query.limit + 1)
    .execute();
  const events = rows.slice(0, query.limit).map(
    (row): RelayNodeHistoryEntry => ({
      kind: row.kind as RelayNodeHistoryEntry["kind"],
      block: Number(row.block),
      log_index: row.log_index,
      ...(row.task_id !== null ? { task_id: row.task_id } : {}),
      ...(row.amount !== null ? { amount: row.amount } : {}),
      ...(row.detail !== null ? { detail: row.detail } : {}),
      ...(row.tx_hash !== null ? { tx_hash: row.tx_hash } : {}),
      ...(row.block_time !== null ? { time: Number(row.block_time) } : {}),
    }),
  );
  const last = events.at(-1);
  return rows.length > query.limit && last ? { events, next: `${last.block}.${last.log_index}` } : { events };
}

/** How many nodes the index knows, by status. */
export async function nodeCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("nodes")
    .select((eb) => ["status", eb.fn.countAll<number>().as("count")])
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
}

import { sql } from "kysely";
import { type Db, type RelayPhase, relayPhase, type TaskRow, taskNodes } from "./tasks.ts";

/** One task as the index lists it. */
export interface IndexedTask {
  task_id: string;
  creator: string;
  nodes: string[];
  phase: RelayPhase;
  abort_reason?: string;
  result_node?: string;
  created_block: number;
}

export function indexedTask(row: TaskRow): IndexedTask {
  return {
    task_id: row.task_id,
    creator: row.creator,
    nodes: taskNodes(row),
    phase: relayPhase(row),
    ...(row.abort_reason ? { abort_reason: row.abort_reason } : {}),
    ...(row.result_node ? { result_node: row.result_node } : {}),
    created_block: Number(row.created_block),
  };
}

export interface TaskPageQuery {
  creator?: string;
  node?: string;
  /** Only tasks with a smaller id (the previous page's last). */
  before?: string;
  limit: number;
}

/**
 * A page of tasks, newest (highest id) first. Ids are decimal strings without leading zeros,
 * so (length, text) orders them as numbers on every backend. Orphans (creation reorganised
 * away) are not listed.
 */
export async function taskPage(db: Db, query: TaskPageQuery): Promise<{ tasks: IndexedTask[]; next?: string }> {
  let select = db.selectFrom("tasks").selectAll().where("chain_phase", "!=", "orphaned");
  if (query.creator) select = select.where("creator", "=", query.creator.toLowerCase());
  if (query.node) {
    const node = query.node.toLowerCase();
    select = select.where((eb) => eb.or([eb("node0", "=", node), eb("node1", "=", node), eb("node2", "=", node)]));
  }
  const before = query.before;
  if (before) {
    select = select.where((eb) =>
      eb.or([
        eb(sql<number>`length(task_id)`, "<", before.length),
        eb.and([eb(sql<number>`length(task_id)`, "=", before.length), eb("task_id", "<", before)]),
      ]),
    );
  }
  const rows = await select
    .orderBy(sql`length(task_id)`, "desc")
    .orderBy("task_id", "desc")
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit).map(indexedTask);
  const last = page.at(-1);
  return rows.length > query.limit && last ? { tasks: page, next: last.task_id } : { tasks: page };
}

/** How many tasks the relay knows, by the phase a client sees. */
export async function taskCounts(db: Db): Promise<{ tasks: number; by_phase: Record<string, number> }> {
  const rows = await db
    .selectFrom("tasks")
    .select((eb) => [
      "chain_phase",
      eb.fn.countAll<number>().as("count"),
      eb.fn.count<number>("args").as("with_args"),
      eb.fn.count<number>("images_uploaded_at").as("with_images"),
    ])
    .where("chain_phase", "!=", "orphaned")
    .groupBy("chain_phase")
    .execute();
  const byPhase: Record<string, number> = {};
  const add = (phase: string, count: number) => {
    if (count > 0) byPhase[phase] = (byPhase[phase] ?? 0) + count;
  };
  let total = 0;
  for (const row of rows) {
    const count = Number(row.count);
    total += count;
    // The relay's refinement of the chain's phase (relayPhase): arguments and images held.
    if (row.chain_phase === "created") {
      add("args_uploaded", Number(row.with_args));
      add("created", count - Number(row.with_args));
    } else if (row.chain_phase === "success") {
      add("results_uploaded", Number(row.with_images));
      add("success", count - Number(row.with_images));
    } else if (row.chain_phase === "reported") add("results_uploaded", count);
    else add(row.chain_phase, count);
  }
  return { tasks: total, by_phase: byPhase };
}

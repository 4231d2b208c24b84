import type { Selectable } from "kysely";
import type { ChainEventsTable } from "./schema.ts";
import type { Db } from "./tasks.ts";

/** The logs the relay applied for one task, in (block, log index) order; at most `limit`. */
export async function taskEventRows(db: Db, taskId: string, limit?: number): Promise<Selectable<ChainEventsTable>[]> {
  let select = db
    .selectFrom("chain_events")
    .selectAll()
    .where("task_id", "=", taskId)
    .orderBy("block")
    .orderBy("log_index");
  if (limit !== undefined) select = select.limit(limit);
  return select.execute();
}

import { taskManagerAbi } from "@hydrogen/protocol";
import type { Selectable } from "kysely";
import { decodeEventLog, type Hex } from "viem";
import type { ChainEventsTable } from "./schema.ts";
import type { Db } from "./tasks.ts";

export type ChainEventRow = Selectable<ChainEventsTable>;

/** A TaskManager event decoded from its stored row. */
export interface DecodedEvent {
  eventName: string;
  args: Record<string, unknown>;
  row: ChainEventRow;
}

/** The logs the relay applied for one task, in (block, log index) order; at most `limit`. */
export async function taskEventRows(db: Db, taskId: string, limit?: number): Promise<ChainEventRow[]> {
  let select = db
    .selectFrom("chain_events")
    .selectAll()
    .where("task_id", "=", taskId)
    .orderBy("block")
    .orderBy("log_index");
  if (limit !== undefined) select = select.limit(limit);
  return select.execute();
}

/** Decodes stored rows with the TaskManager ABI, leaving out events this version does not know. */
export function decodeEventRows(rows: ChainEventRow[]): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  for (const row of rows) {
    try {
      const decoded = decodeEventLog({
        abi: taskManagerAbi,
        topics: JSON.parse(row.topics) as [Hex, ...Hex[]],
        data: row.data as Hex,
      });
      events.push({ eventName: decoded.eventName, args: decoded.args as Record<string, unknown>, row });
    } catch {
      // an event of a newer contract: nothing this version can show
    }
  }
  return events;
}

/** The node an event names (the node acting, selected or holding the result), lower-case. */
export function eventNode(event: DecodedEvent): string | undefined {
  const a = event.args;
  const node = (a.node ?? a.selectedNode ?? a.resultNode) as string | undefined;
  return node?.toLowerCase();
}

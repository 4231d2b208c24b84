import { ABORT_REASONS } from "@hydrogen/protocol";
import { decodeEventRows, eventNode, taskEventRows } from "./chain-events.ts";
import type { Db } from "./tasks.ts";
/** One chain event of a task as its timeline shows it. */
export interface TimelineEvent {
  name: string;
  block: number;
  log_index: number;
  tx_hash?: string;
  time?: number;
  node?: string;
  round?: number;
  amount?: string;
  reason?: string;
}

/** Events listed per task at most (a task has about twenty). */
const MAX_EVENTS = 200;

/**
 * The task's chain events in (block, log index) order, from the logs the relay applied: who
 * was selected, committed or reported an error, disclosed, was paid or slashed, and how the
 * task ended, each with its block and transaction.
 */
export async function taskTimeline(db: Db, taskId: string): Promise<TimelineEvent[]> {
  const events = decodeEventRows(await taskEventRows(db, taskId, MAX_EVENTS));
  return events.map((event) => {
    const { args: a, row } = event;
    const node = eventNode(event);
    return {
      name: event.eventName,
      block: Number(row.block),
      log_index: row.log_index,
      ...(row.tx_hash ? { tx_hash: row.tx_hash } : {}),
      ...(row.block_time !== null ? { time: Number(row.block_time) } : {}),
      ...(node ? { node } : {}),
      ...(a.round !== undefined ? { round: Number(a.round) } : {}),
      ...(a.amount !== undefined ? { amount: String(a.amount) } : {}),
      ...(a.reason !== undefined ? { reason: ABORT_REASONS[Number(a.reason)] ?? String(a.reason) } : {}),
    };
  });
}

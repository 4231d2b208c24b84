import { ABORT_REASONS, taskManagerAbi } from "@hydrogen/protocol";
import { decodeEventLog, type Hex } from "viem";
import { taskEventRows } from "./chain-events.ts";
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
  const rows = await taskEventRows(db, taskId, MAX_EVENTS);
  const events: TimelineEvent[] = [];
  for (const row of rows) {
    let decoded: { eventName: string; args: Record<string, unknown> };
    try {
      decoded = decodeEventLog({
        abi: taskManagerAbi,
        topics: JSON.parse(row.topics) as [Hex, ...Hex[]],
        data: row.data as Hex,
      }) as never;
    } catch {
      continue; // an event this version does not know
    }
    const a = decoded.args;
    const node = (a.node ?? a.selectedNode ?? a.resultNode) as string | undefined;
    events.push({
      name: decoded.eventName,
      block: Number(row.block),
      log_index: row.log_index,
      ...(row.tx_hash ? { tx_hash: row.tx_hash } : {}),
      ...(row.block_time !== null ? { time: Number(row.block_time) } : {}),
      ...(node ? { node: node.toLowerCase() } : {}),
      ...(a.round !== undefined ? { round: Number(a.round) } : {}),
      ...(a.amount !== undefined ? { amount: String(a.amount) } : {}),
      ...(a.reason !== undefined ? { reason: ABORT_REASONS[Number(a.reason)] ?? String(a.reason) } : {}),
    });
  }
  return events;
}

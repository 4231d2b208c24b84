import type { ListRelayTasksReturnType } from "@hydrogen/sdk";

/**
 * A past task as the history shows it: the relay's index says which tasks the account created
 * (on any device) and how they ended; localStorage adds what only this browser knows (the
 * prompt). Images stay on the relay.
 */
export interface HistoryEntry {
  taskId: string;
  prompt: string;
  createdAt: number;
  status: "running" | "success" | "failed";
  images: number;
  message?: string;
}

const LIMIT = 50;
let key = "hydrogen.history";

/**
 * Keeps the history per deployment: task ids restart with every devnet, and an entry must
 * name a task of the chain the app is on.
 */
export function selectHistoryOf(deployment: {
  chainId: number;
  contracts: { TaskManager: string };
  deployedAt: string;
}) {
  key = `hydrogen.history.${deployment.chainId}.${deployment.contracts.TaskManager}.${deployment.deployedAt}`;
}

export function readHistory(): HistoryEntry[] {
  try {
    return JSON.parse(localStorage.getItem(key) ?? "[]") as HistoryEntry[];
  } catch {
    return [];
  }
}

/** Adds or replaces the entry for `entry.taskId`, newest first. */
export function saveHistory(entry: HistoryEntry): HistoryEntry[] {
  const next = [entry, ...readHistory().filter((e) => e.taskId !== entry.taskId)].slice(0, LIMIT);
  localStorage.setItem(key, JSON.stringify(next));
  return next;
}

type IndexedTask = ListRelayTasksReturnType["tasks"][number];

const statusOf = (phase: string): HistoryEntry["status"] =>
  phase === "results_uploaded" ? "success" : phase === "aborted" ? "failed" : "running";

/**
 * The account's tasks from the relay's index, newest first, with what this browser remembers
 * of each (its prompt); tasks only this browser knows (not indexed yet) stay too.
 */
export function mergeHistory(local: HistoryEntry[], indexed: IndexedTask[]): HistoryEntry[] {
  const known = new Map(local.map((entry) => [entry.taskId, entry]));
  const merged = indexed.map((task): HistoryEntry => {
    const mine = known.get(task.task_id);
    known.delete(task.task_id);
    return {
      taskId: task.task_id,
      prompt: mine?.prompt ?? "",
      createdAt: mine?.createdAt ?? 0,
      status: statusOf(task.phase),
      images: mine?.images ?? 0,
      ...(task.abort_reason ? { message: task.abort_reason } : mine?.message ? { message: mine.message } : {}),
    };
  });
  const rest = [...known.values()];
  return [...rest, ...merged].sort((a, b) => Number(BigInt(b.taskId) - BigInt(a.taskId))).slice(0, LIMIT);
}

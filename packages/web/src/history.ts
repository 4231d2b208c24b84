/** A past task as the history shows it (kept in localStorage; images stay on the relay). */
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

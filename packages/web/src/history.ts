/** A past task as the history shows it (kept in localStorage; images stay on the relay). */
export interface HistoryEntry {
  taskId: string;
  prompt: string;
  createdAt: number;
  status: "running" | "success" | "failed";
  images: number;
  message?: string;
}

const KEY = "hydrogen.history";
const LIMIT = 50;

export function readHistory(): HistoryEntry[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "[]") as HistoryEntry[];
  } catch {
    return [];
  }
}

/** Adds or replaces the entry for `entry.taskId`, newest first. */
export function saveHistory(entry: HistoryEntry): HistoryEntry[] {
  const next = [entry, ...readHistory().filter((e) => e.taskId !== entry.taskId)].slice(0, LIMIT);
  localStorage.setItem(KEY, JSON.stringify(next));
  return next;
}

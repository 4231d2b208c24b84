import {
  type PngExpectation,
  parseTaskArgsJson,
  RelayError,
  type TASK_PHASES,
  type TaskArgs,
} from "@hydrogen/protocol";
import type { Kysely, Selectable, Transaction } from "kysely";
import { prepared } from "./prepared.ts";
import type { Database, TasksTable } from "./schema.ts";

export type TaskRow = Selectable<TasksTable>;
export type Db = Kysely<Database> | Transaction<Database>;
export type RelayPhase = (typeof TASK_PHASES)[number];

/**
 * The phase a client sees: the chain's, refined by what the relay holds (arguments, images).
 *
 * @example
 * relayPhase(await findTask(db, "7")) // "args_uploaded"
 */
export function relayPhase(task: TaskRow): RelayPhase {
  if (task.chain_phase === "aborted") return "aborted";
  if (task.images_uploaded_at !== null || task.chain_phase === "reported") return "results_uploaded";
  if (task.chain_phase === "success") return "success";
  if (task.chain_phase === "commitments_ready") return "commitments_ready";
  return task.args === null ? "created" : "args_uploaded";
}

// An orphaned row (its creation reorganised away) is no task of the chain's: no route serves it.
const selectTask = prepared((db, p: { taskId: string }) =>
  db.selectFrom("tasks").selectAll().where("task_id", "=", p.taskId).where("chain_phase", "!=", "orphaned"),
);

export async function findTask(db: Db, taskId: string): Promise<TaskRow | undefined> {
  return (await selectTask(db, { taskId })).rows[0];
}

/** The selected nodes of a task, in round order (those whose TaskCreated has been applied). */
export function taskNodes(task: TaskRow): string[] {
  return [task.node0, task.node1, task.node2].filter((node): node is string => node !== null);
}

/**
 * Stores the task arguments once. Returns false when another request stored them first
 * (the caller then compares: the same arguments are a no-op).
 */
export async function storeArgs(db: Db, taskId: string, args: string, parsed: TaskArgs): Promise<boolean> {
  const { num_images: numImages, image_width: width, image_height: height } = parsed.task_config;
  const result = await updateArgs(db, { taskId, args, numImages, width, height });
  return (result.numAffectedRows ?? 0n) > 0n;
}

const updateArgs = prepared(
  (db, p: { taskId: string; args: string; numImages: number; width: number; height: number }) =>
    db
      .updateTable("tasks")
      .set({ args: p.args, num_images: p.numImages, image_width: p.width, image_height: p.height })
      .where("task_id", "=", p.taskId)
      .where("chain_phase", "!=", "orphaned")
      .where("args", "is", null)
      .where("purged_at", "is", null),
);

/**
 * The size every result image of the task must have: its arguments' image_width ×
 * image_height (parsed again for arguments stored before the size was kept).
 */
export function taskImageSize(task: TaskRow): PngExpectation {
  if (task.image_width !== null && task.image_height !== null)
    return { width: task.image_width, height: task.image_height };
  const parsed = task.args === null ? undefined : parseTaskArgsJson(task.args);
  if (!parsed?.ok) {
    throw new RelayError("RELAY_ARGS_NOT_UPLOADED", `the relay holds no task arguments for task ${task.task_id}`);
  }
  return { width: parsed.args.task_config.image_width, height: parsed.args.task_config.image_height };
}

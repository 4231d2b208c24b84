import { parseTaskArgsJson, type TaskArgs, taskHash } from "@hydrogen/protocol";
import type { HydrogenClient } from "../client.ts";
import { HydrogenError } from "../errors.ts";

/**
 * A task's arguments as its creator uploaded them, from the relay (signed by the creator, or
 * a node of the task), checked against the task hash the relay recorded from the chain; for
 * "remix" and for reading what a past task asked. The relay keeps them until its retention
 * deletes the ended task's data (`RELAY_TASK_ENDED`).
 *
 * @example
 * const args = await getTaskArgs(client, { taskId: 7n });
 * await runTask(client, { args: { ...args, task_config: { ...args.task_config, seed: 8 } } });
 */
export async function getTaskArgs(client: HydrogenClient, parameters: { taskId: bigint }): Promise<TaskArgs> {
  const task = await client.relay.getTask(parameters.taskId);
  if (taskHash(task.task_args).toLowerCase() !== task.task_hash.toLowerCase()) {
    throw new HydrogenError(
      "SDK_TASK_ARGS_MISMATCH",
      `the relay's arguments for task ${task.task_id} do not hash to its task hash`,
    );
  }
  const parsed = parseTaskArgsJson(task.task_args);
  if (!parsed.ok) {
    throw new HydrogenError("SDK_TASK_ARGS_MISMATCH", `task ${task.task_id}'s arguments fail this version's schema`);
  }
  return parsed.args;
}

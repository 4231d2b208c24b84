import { parseTaskArgsJson, RelayError, taskHash, utf8Bytes } from "@hydrogen/protocol";
import type { FastifyReply } from "fastify";
import { findTask, relayPhase, storeArgs, taskNodes } from "../../db/tasks.ts";
import { requireCreator, requireCreatorOrNode } from "../auth.ts";
import type { RelayContext } from "../context.ts";
import { holdForUpload } from "../hold.ts";
import type { RouteImplementation, RouteImplementations } from "../route-schema.ts";
import { loadTask } from "../task-lookup.ts";

type IdParams = { id: string };

/** Task arguments in, task arguments and status out (spec §7). */
export function taskRoutes(
  context: RelayContext,
): Pick<RouteImplementations, "uploadTaskArgs" | "getTask" | "getTaskStatus"> {
  const { config, metrics } = context;

  const uploadTaskArgs: RouteImplementation<{ Body: { task_id: string; task_args: string } }> = {
    // The arguments travel as a JSON string inside JSON: escaping at most doubles them.
    bodyLimit: 2 * config.limits.taskArgsBytes + 4096,
    handler: async (request) => {
      const { task_id: taskId, task_args: args } = request.body;
      const size = utf8Bytes(args);
      if (size > config.limits.taskArgsBytes) {
        throw new RelayError(
          "RELAY_PAYLOAD_TOO_LARGE",
          `task_args is ${size} bytes; this relay takes at most ${config.limits.taskArgsBytes} (GET /v1/limits)`,
        );
      }
      const task = await loadTask(context, taskId);
      await requireCreator(context, request, task);
      if (task.chain_phase === "aborted") throw new RelayError("RELAY_TASK_ENDED", `task ${taskId} was aborted`);
      const reject = (error: RelayError) => {
        metrics.uploads.inc({ kind: "args", outcome: "rejected" });
        metrics.verificationFailures.inc({ code: error.code });
        return error;
      };
      const hash = taskHash(args);
      if (hash !== task.task_hash) {
        throw reject(
          new RelayError(
            "RELAY_TASK_HASH_MISMATCH",
            `keccak256(task_args) is ${hash}, the task hash is ${task.task_hash}`,
          ),
        );
      }
      const parsed = parseTaskArgsJson(args);
      if (!parsed.ok) {
        throw reject(
          new RelayError("RELAY_INVALID_TASK_ARGS", "the task arguments fail the schema", parsed.violations),
        );
      }
      const stored = await storeArgs(context.db, taskId, args, parsed.args);
      metrics.uploads.inc({ kind: "args", outcome: stored ? "stored" : "duplicate" });
      if (stored) context.uploads.notify("args", taskId);
      return { task_id: taskId, task_hash: task.task_hash };
    },
  };

  const getTask: RouteImplementation<{ Params: IdParams; Querystring: { wait?: string } }> = {
    handler: async (request, reply: FastifyReply) => {
      const loaded = await loadTask(context, request.params.id);
      await requireCreatorOrNode(context, request, loaded);
      // A node asks as soon as it sees the task: hold it until the creator uploads the arguments.
      const task = await holdForUpload(context, "args", loaded, Number(request.query.wait ?? 0), reply.raw);
      if (!task) return reply; // the client left while held
      if (task.args === null) {
        throw new RelayError(
          "RELAY_ARGS_NOT_UPLOADED",
          `the creator has not uploaded task ${task.task_id}'s arguments yet`,
        );
      }
      const body: Record<string, unknown> = {
        task_id: task.task_id,
        task_args: task.args,
        task_hash: task.task_hash,
        creator: task.creator,
        nodes: taskNodes(task),
        phase: relayPhase(task),
      };
      if (task.result !== null) body.result = task.result;
      return body;
    },
  };

  const getTaskStatus: RouteImplementation<{ Params: IdParams }> = {
    handler: async (request) => {
      const task = await findTask(context.db, request.params.id);
      if (!task)
        throw new RelayError("RELAY_TASK_NOT_ON_CHAIN", `the relay has not seen task ${request.params.id} yet`);
      const body: Record<string, unknown> = { task_id: task.task_id, phase: relayPhase(task) };
      if (task.abort_reason !== null) body.abort_reason = task.abort_reason;
      if (task.num_images !== null) body.num_images = task.num_images;
      return body;
    },
  };

  return { uploadTaskArgs, getTask, getTaskStatus };
}

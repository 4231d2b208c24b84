import { RelayError } from "@hydrogen/protocol";
import type { FastifyInstance } from "fastify";
import { taskCounts, taskPage } from "../../db/index-queries.ts";
import { findNode, nodeCounts, nodeHistoryPage, nodePage } from "../../db/nodes.ts";
import { findTask, relayPhase, type TaskRow } from "../../db/tasks.ts";
import { taskTimeline } from "../../db/timeline.ts";
import type { RelayContext } from "../context.ts";
import type { RouteImplementation, RouteImplementations } from "../route-schema.ts";
import { loadTask } from "../task-lookup.ts";

/** Open phase streams one relay instance serves at most (each costs a read every `STREAM_POLL_MS`). */
const MAX_STREAMS = 1000;
/** How often a stream reads its task again (an upload to this instance wakes it at once). */
const STREAM_POLL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** A stream ends after this long; the client reconnects if it still cares. */
const MAX_STREAM_MS = 3_600_000;

const ENDED = new Set<string>(["results_uploaded", "aborted"]);

function status(task: TaskRow) {
  return {
    task_id: task.task_id,
    phase: relayPhase(task),
    ...(task.abort_reason ? { abort_reason: task.abort_reason } : {}),
    ...(task.num_images !== null ? { num_images: task.num_images } : {}),
  };
}

/** The index (spec §7, "Index and notifications"): task lists, statistics, a task's phase stream. */
export function indexRoutes(
  context: RelayContext,
  app: FastifyInstance,
): Pick<
  RouteImplementations,
  "listTasks" | "getStats" | "streamTaskPhases" | "getTaskTimeline" | "listNodes" | "getNode" | "getNodeHistory"
> {
  let streams = 0;
  // Streams end when the relay closes (a held response would keep `close()` waiting).
  const closing = new AbortController();
  app.addHook("onClose", async () => closing.abort());

  const listTasks: RouteImplementation<{
    Querystring: { creator?: string; node?: string; before?: string; limit?: string };
  }> = {
    handler: async (request) => {
      const { creator, node, before, limit } = request.query;
      return taskPage(context.db, { creator, node, before, limit: limit ? Number(limit) : 20 });
    },
  };

  const getStats: RouteImplementation = {
    handler: async () => {
      const cursor = await context.sync.cursor();
      return {
        ...(await taskCounts(context.db)),
        ...(cursor !== undefined ? { cursor_block: Number(cursor) } : {}),
        nodes: await nodeCounts(context.db),
      };
    },
  };

  const streamTaskPhases: RouteImplementation<{ Params: { id: string } }> = {
    handler: async (request, reply) => {
      const taskId = request.params.id;
      let task = await loadTask(context, taskId);
      if (streams >= MAX_STREAMS) {
        throw new RelayError("RELAY_RATE_LIMITED", `this relay serves ${MAX_STREAMS} phase streams at most`);
      }
      streams++;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      const ended = AbortSignal.any([closing.signal, AbortSignal.timeout(MAX_STREAM_MS)]);
      const gone = new AbortController();
      raw.on("close", () => gone.abort());
      const stop = AbortSignal.any([ended, gone.signal]);
      let sent = "";
      let heartbeat = Date.now();
      try {
        while (!stop.aborted) {
          const now = JSON.stringify(status(task));
          if (now !== sent) {
            raw.write(`event: phase\ndata: ${now}\n\n`);
            sent = now;
          } else if (Date.now() - heartbeat > HEARTBEAT_MS) {
            raw.write(": keep-alive\n\n");
            heartbeat = Date.now();
          }
          if (ENDED.has(relayPhase(task))) break;
          await Promise.race([
            context.uploads.wait("args", taskId, STREAM_POLL_MS, stop),
            context.uploads.wait("images", taskId, STREAM_POLL_MS, stop),
          ]);
          task = (await findTask(context.db, taskId)) ?? task;
        }
      } catch (error) {
        context.log.warn({ err: error, taskId }, "phase stream failed");
      } finally {
        streams--;
        raw.end();
      }
    },
  };

  const getTaskTimeline: RouteImplementation<{ Params: { id: string } }> = {
    handler: async (request) => {
      const task = await loadTask(context, request.params.id);
      return { task_id: task.task_id, events: await taskTimeline(context.db, task.task_id) };
    },
  };

  const listNodes: RouteImplementation<{ Querystring: { status?: string; after?: string; limit?: string } }> = {
    handler: async (request) => {
      const { status, after, limit } = request.query;
      return nodePage(context.db, { status, after, limit: limit ? Number(limit) : 20 });
    },
  };

  const knownNode = async (address: string) => {
    const node = await findNode(context.db, address);
    if (!node) throw new RelayError("RELAY_NODE_UNKNOWN", `the index has no event of node ${address}`);
    return node;
  };

  const getNode: RouteImplementation<{ Params: { address: string } }> = {
    handler: async (request) => knownNode(request.params.address),
  };

  const getNodeHistory: RouteImplementation<{
    Params: { address: string };
    Querystring: { before?: string; limit?: string };
  }> = {
    handler: async (request) => {
      const node = await knownNode(request.params.address);
      const { before, limit } = request.query;
      return nodeHistoryPage(context.db, node.address, { before, limit: limit ? Number(limit) : 20 });
    },
  };

  return { listTasks, getStats, streamTaskPhases, getTaskTimeline, listNodes, getNode, getNodeHistory };
}

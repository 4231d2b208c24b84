import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import type { Logger } from "pino";
import { StakingError } from "../staking.ts";
import { DASHBOARD_HTML } from "./dashboard.ts";
import type { NodeStatusReport, StatusSource } from "./status.ts";

/** Error codes of the management API, each with its HTTP status. */
export const API_ERRORS = {
  NODE_API_UNAUTHORIZED: 401,
  NODE_API_NOT_FOUND: 404,
  NODE_API_INVALID_REQUEST: 400,
  NODE_ACTION_REFUSED: 409,
  NODE_ALREADY_JOINED: 409,
  NODE_NOT_JOINED: 409,
  NODE_INSUFFICIENT_CNX: 409,
  NODE_INSUFFICIENT_GAS: 409,
  NODE_API_INTERNAL: 500,
} as const;

type ApiErrorCode = keyof typeof API_ERRORS;

function sendError(reply: FastifyReply, code: ApiErrorCode, message: string) {
  return reply.code(API_ERRORS[code]).send({ error: { code, message } });
}

export interface ApiOptions {
  host: string;
  port: number;
  token: string;
}

/**
 * The node's management API (bound to 127.0.0.1 by default): `/api/*` needs
 * `Authorization: Bearer <token>`; `/` (the dashboard page, which asks for the token),
 * `/healthz` and `/metrics` do not.
 */
export async function startApi(
  options: ApiOptions,
  deps: { status: StatusSource; metrics: () => Promise<string>; log: Logger },
): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({
    loggerInstance: deps.log.child({ module: "api" }),
    logController: new LogController({ disableRequestLogging: true }),
  });
  const expected = Buffer.from(`Bearer ${options.token}`);

  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return sendError(reply, "NODE_API_UNAUTHORIZED", "missing or wrong bearer token");
    }
  };

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, "NODE_API_NOT_FOUND", `no route ${request.method} ${request.url}`),
  );
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof StakingError) return sendError(reply, error.code, error.message);
    if (error.statusCode && error.statusCode < 500) return sendError(reply, "NODE_API_INVALID_REQUEST", error.message);
    request.log.error({ err: error }, "management API request failed");
    return sendError(reply, "NODE_API_INTERNAL", error.message);
  });

  app.get("/", (_request, reply) => reply.type("text/html; charset=utf-8").send(DASHBOARD_HTML));
  app.get("/healthz", () => ({ status: "ok" }));
  app.get("/metrics", async (_request, reply) => reply.type("text/plain; version=0.0.4").send(await deps.metrics()));

  app.register(async (api) => {
    api.addHook("onRequest", authorize);
    api.get("/api/status", async (): Promise<NodeStatusReport> => deps.status.report());
    api.get<{ Querystring: { limit?: string } }>("/api/tasks", async (request) => ({
      tasks: deps.status.tasks(limitOf(request.query.limit, 50)),
    }));
    api.get<{ Params: { id: string } }>("/api/tasks/:id", async (request, reply) => {
      if (!/^[1-9][0-9]{0,77}$/.test(request.params.id)) {
        return sendError(reply, "NODE_API_INVALID_REQUEST", "task id must be a positive decimal integer");
      }
      const task = deps.status.task(BigInt(request.params.id));
      return task ?? sendError(reply, "NODE_API_NOT_FOUND", `no task ${request.params.id} in this node's store`);
    });
    api.get<{ Querystring: { limit?: string } }>("/api/logs", async (request) => ({
      logs: deps.status.logs(limitOf(request.query.limit, 100)),
    }));
    api.post<{ Params: { action: string } }>("/api/actions/:action", async (request, reply) => {
      const action = request.params.action;
      if (action !== "join" && action !== "pause" && action !== "resume" && action !== "quit") {
        return sendError(reply, "NODE_API_NOT_FOUND", `no action ${action}; use join, pause, resume or quit`);
      }
      const txs = await deps.status.act(action);
      const { node } = await deps.status.report();
      return { action, txs, status: "status" in node ? node.status : undefined };
    });
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return { url: `http://${options.host}:${port}`, close: () => app.close() };
}

function limitOf(raw: string | undefined, fallback: number): number {
  const n = Number(raw ?? fallback);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : fallback;
}

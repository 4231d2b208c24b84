import { openApiDocument } from "@hydrogen/protocol";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { RelayContext } from "../context.ts";
import type { RouteImplementations } from "../route-schema.ts";

/** The relay's state for `/readyz`: every check and whether all pass. */
export async function readiness(context: RelayContext): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const checks: Record<string, string> = {};
  let ready = true;
  try {
    await sql`select 1`.execute(context.db);
    checks.database = "ok";
  } catch (error) {
    checks.database = `unreachable: ${(error as Error).message}`;
    ready = false;
  }
  try {
    const [head, cursor] = await Promise.all([
      context.client.getBlockNumber({ cacheTime: 1000 }),
      ready ? context.sync.cursor() : Promise.resolve(undefined),
    ]);
    if (cursor === undefined) {
      checks.follower = "not started";
      ready = false;
    } else {
      const lag = Number(head - cursor);
      context.metrics.lag.set(lag);
      const allowed = context.config.maxLagBlocks + context.config.chain.confirmations;
      checks.follower = lag <= allowed ? `ok (${lag} blocks behind)` : `behind: ${lag} blocks (allowed ${allowed})`;
      if (lag > allowed) ready = false;
    }
  } catch (error) {
    checks.chain = `unreachable: ${(error as Error).message.split("\n")[0]}`;
    ready = false;
  }
  checks.leader = context.sync.isLeader() ? "this instance follows the chain" : "another instance follows the chain";
  return { ready, checks };
}

/** Liveness, readiness, metrics, the clock and the published limits. */
export function opsRoutes(
  context: RelayContext,
): Pick<RouteImplementations, "getNow" | "getLimits" | "health" | "ready" | "metrics"> {
  const { limits } = context.config;
  return {
    getNow: { handler: async () => ({ now: Math.floor(Date.now() / 1000) }) },
    getLimits: {
      handler: async () => ({
        task_args_bytes: limits.taskArgsBytes,
        image_bytes: limits.imageBytes,
        upload_bytes: limits.taskBytes,
      }),
    },
    health: { handler: async () => ({ status: "ok" }) },
    ready: {
      handler: async (_request, reply) => {
        const { ready, checks } = await readiness(context);
        return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks });
      },
    },
    metrics: {
      handler: async (_request, reply) =>
        reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics()),
    },
  };
}

/** The API description, generated from the same route table (not itself a protocol route). */
export function openApiRoute(app: FastifyInstance, context: RelayContext): void {
  const document = openApiDocument({ version: context.version });
  app.get("/openapi.json", { config: { access: "public" } }, async () => document);
}

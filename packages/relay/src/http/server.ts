import { randomUUID } from "node:crypto";
import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { openApiDocument, parseStrictJson, RelayError, StrictJsonError } from "@hydrogen/protocol";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { authenticate, checkBody, decorateAuth } from "./auth.ts";
import { bodySha256Native } from "./body-hash.ts";
import type { RelayContext } from "./context.ts";
import { clientErrorHandler, frameworkErrors, registerErrorHandlers } from "./errors.ts";
import { registerRateLimits } from "./rate-limit.ts";
import { registerRoutes } from "./route-schema.ts";
import { indexRoutes } from "./routes/index-routes.ts";
import { openApiRoute, opsRoutes } from "./routes/ops.ts";
import { resultRoutes } from "./routes/results.ts";
import { taskRoutes } from "./routes/tasks.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The query of a route that declares no query parameters: none is accepted (spec §7). */
const NO_QUERY = { type: "object", additionalProperties: false, properties: {} };

/**
 * The relay's HTTP server: every spec §7 route from the protocol package's definitions, signed
 * routes authenticated from headers before their body is read, one error shape, metrics per
 * route and status, and request ids in every log line.
 *
 * @example
 * const app = await buildServer(context); await app.listen({ port: 8787 });
 */
export async function buildServer(context: RelayContext): Promise<FastifyInstance> {
  const { config, metrics } = context;
  const app = Fastify({
    loggerInstance: context.log as unknown as FastifyBaseLogger,
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.limits.jsonBytes,
    // Slow or stalled clients cannot hold an upload open forever.
    requestTimeout: 300_000,
    forceCloseConnections: "idle",
    // Requests that still arrive while closing (pipelined, or on a busy keep-alive connection)
    // get the relay's own 503 from the hook below, not fastify's body.
    return503OnClosing: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, useDefaults: false } },
    routerOptions: { maxParamLength: 100 },
    trustProxy: config.listen.trustProxy,
    clientErrorHandler,
    frameworkErrors,
  });

  registerErrorHandlers(app);
  decorateAuth(app);
  // Every route declares its query parameters (protocol's route table); one that declares none takes none.
  app.addHook("onRoute", (route) => {
    route.schema = { ...route.schema, querystring: route.schema?.querystring ?? NO_QUERY };
  });
  // Before the auth hook: the per-address budget is counted before any signature is recovered.
  await registerRateLimits(app, context);
  const auth = authenticate(context);
  app.addHook("onRoute", (route) => {
    const access = route.config?.access;
    if (access && access !== "public") {
      route.onRequest = [
        ...(Array.isArray(route.onRequest) ? route.onRequest : route.onRequest ? [route.onRequest] : []),
        auth,
      ];
    }
  });
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    if (closing) {
      reply.header("connection", "close");
      done(new RelayError("RELAY_UNAVAILABLE", "the relay is shutting down: send this request to another instance"));
      return;
    }
    done();
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    const labels = { route, method: request.method };
    metrics.requests.inc({ ...labels, status: String(reply.statusCode) });
    metrics.latency.observe(labels, reply.elapsedTime / 1000);
  });

  // JSON bodies are read whole (bounded by bodyLimit), checked against the signed hash, then
  // parsed strictly: no duplicate keys, bounded nesting (spec §7).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    try {
      if (request.auth) checkBody(request, bodySha256Native(body as Buffer));
      const text = (body as Buffer).toString("utf8");
      if (text.trim() === "") throw new RelayError("RELAY_INVALID_REQUEST", "the body is empty");
      done(null, parseStrictJson(text));
    } catch (error) {
      done(
        error instanceof StrictJsonError ? new RelayError("RELAY_INVALID_REQUEST", error.message) : (error as Error),
        undefined,
      );
    }
  });
  // Multipart bodies are left unread here: the upload route streams them after its checks.
  app.addContentTypeParser("multipart/form-data", (_request, _payload, done) => done(null));

  await app.register(cors, {
    origin: config.cors.origin === "*" ? true : config.cors.origin,
    methods: ["GET", "POST"],
    exposedHeaders: ["x-request-id"],
    maxAge: 600,
  });
  await app.register(swagger, {
    mode: "static",
    specification: { document: openApiDocument({ version: context.version }) as never },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  // Every protocol route from its definition; a route without an implementation is a type error.
  registerRoutes(app, {
    ...taskRoutes(context),
    ...resultRoutes(context),
    ...opsRoutes(context),
    ...indexRoutes(context, app),
    ...webhookRoutes(context),
  });
  openApiRoute(app, context);
  return app;
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ROUTES } from "@hydrogen/protocol";
import Fastify from "fastify";
import { registerErrorHandlers } from "./errors.ts";
import { fastifyPath, type RouteImplementations, type RouteName, registerRoutes } from "./route-schema.ts";

const answer = { handler: async () => ({ ok: true }) };
const every = Object.fromEntries(Object.keys(ROUTES).map((name) => [name, answer])) as unknown as RouteImplementations;

describe("routes from the protocol's table", () => {
  it("registers every route with its method, path and access", async () => {
    const app = Fastify();
    registerErrorHandlers(app);
    const access = new Map<string, unknown>();
    app.addHook("onRoute", (route) => {
      if (route.method !== "HEAD") access.set(`${route.method} ${route.url}`, route.config?.access);
    });
    registerRoutes(app, every);
    await app.ready();
    for (const name of Object.keys(ROUTES) as RouteName[]) {
      const { method, path } = ROUTES[name];
      assert.ok(app.hasRoute({ method, url: fastifyPath(path) }), name);
      assert.equal(access.get(`${method} ${fastifyPath(path)}`), ROUTES[name].access, name);
    }
    // The declared schemas apply: an undeclared query parameter and a bad path parameter are refused.
    const status = await app.inject({ method: "GET", url: "/v1/inference_tasks/abc/status" });
    assert.equal(status.statusCode, 400);
    const query = await app.inject({ method: "GET", url: "/v1/inference_tasks/1/results/0?wait=99" });
    assert.equal(query.statusCode, 400);
    await app.close();
  });

  it("answers are serialized by the declared schemas: undeclared fields never leave the relay", async () => {
    const app = Fastify();
    registerErrorHandlers(app);
    registerRoutes(app, {
      ...every,
      getNow: { handler: async () => ({ now: 1700000000, internal: "secret" }) },
      getTaskStatus: {
        handler: async (_request, reply) =>
          reply
            .code(404)
            .send({ error: { code: "RELAY_TASK_NOT_ON_CHAIN", message: "no task", retryable: false, stack: "x" } }),
      },
    });
    const now = await app.inject({ method: "GET", url: "/v1/now" });
    assert.deepEqual(now.json(), { now: 1700000000 });
    const missing = await app.inject({ method: "GET", url: "/v1/inference_tasks/1/status" });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), {
      error: { code: "RELAY_TASK_NOT_ON_CHAIN", message: "no task", retryable: false },
    });
    await app.close();
  });

  it("a missing implementation is a type error", () => {
    const { getNow: _left, ...rest } = every;
    // @ts-expect-error: getNow has no implementation
    const incomplete: RouteImplementations = rest;
    assert.equal(Object.keys(incomplete).length, Object.keys(ROUTES).length - 1);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Ajv2020 from "ajv/dist/2020.js";
import { RELAY_ERRORS, RelayError, relayErrorBodySchema } from "./errors.ts";
import { openApiDocument, routeErrors } from "./openapi.ts";
import { ROUTES, type RouteDefinition, routePath } from "./routes.ts";

const routes = Object.values(ROUTES) as RouteDefinition[];

describe("relay API definition", () => {
  it("declares every route of spec §7 once", () => {
    const declared = routes.map((r) => `${r.method} ${r.path}`).sort();
    assert.deepEqual(declared, [
      "GET /healthz",
      "GET /metrics",
      "GET /readyz",
      "GET /v1/inference_tasks/{id}",
      "GET /v1/inference_tasks/{id}/events",
      "GET /v1/inference_tasks/{id}/results/{index}",
      "GET /v1/inference_tasks/{id}/status",
      "GET /v1/inference_tasks/{id}/timeline",
      "GET /v1/limits",
      "GET /v1/nodes",
      "GET /v1/nodes/{address}",
      "GET /v1/nodes/{address}/history",
      "GET /v1/now",
      "GET /v1/stats",
      "GET /v1/tasks",
      "GET /v1/webhooks",
      "POST /v1/inference_tasks",
      "POST /v1/inference_tasks/{id}/results",
      "POST /v1/webhooks",
      "POST /v1/webhooks/{webhook}/delete",
    ]);
    assert.equal(new Set(routes.map((r) => r.operationId)).size, routes.length);
  });

  it("access rules follow spec §7", () => {
    assert.equal(ROUTES.uploadTaskArgs.access, "creator");
    assert.equal(ROUTES.getTask.access, "creator_or_node");
    assert.equal(ROUTES.uploadResults.access, "result_node");
    assert.equal(ROUTES.getResultImage.access, "creator");
    for (const name of [
      "getTaskStatus",
      "getNow",
      "getLimits",
      "health",
      "ready",
      "metrics",
      "listTasks",
      "getStats",
      "streamTaskPhases",
      "getTaskTimeline",
    ] as const)
      assert.equal(ROUTES[name].access, "public");
    // Webhooks are an account's own: any signer, for itself.
    for (const name of ["createWebhook", "listWebhooks", "deleteWebhook"] as const)
      assert.equal(ROUTES[name].access, "account");
  });

  it("every path parameter is declared, and every declared one is in the path", () => {
    for (const route of routes) {
      const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(inPath, Object.keys(route.params ?? {}).sort(), route.operationId);
    }
  });

  it("the retryable waits of spec §7 have the right status and flag", () => {
    assert.deepEqual(RELAY_ERRORS.RELAY_TASK_NOT_ON_CHAIN, {
      ...RELAY_ERRORS.RELAY_TASK_NOT_ON_CHAIN,
      status: 404,
      retryable: true,
    });
    assert.equal(RELAY_ERRORS.RELAY_ARGS_NOT_UPLOADED.status, 409);
    assert.equal(RELAY_ERRORS.RELAY_ARGS_NOT_UPLOADED.retryable, true);
    assert.equal(RELAY_ERRORS.RELAY_RESULTS_NOT_UPLOADED.status, 404);
    assert.equal(RELAY_ERRORS.RELAY_RESULTS_NOT_UPLOADED.retryable, true);
    assert.equal(RELAY_ERRORS.RELAY_TASK_HASH_MISMATCH.status, 422);
    assert.equal(RELAY_ERRORS.RELAY_INVALID_TASK_ARGS.status, 422);
  });

  it("a client's mistake is never a 5xx: only unavailability and internal faults are", () => {
    const fiveHundreds = Object.entries(RELAY_ERRORS)
      .filter(([, e]) => e.status >= 500)
      .map(([code]) => code)
      .sort();
    assert.deepEqual(fiveHundreds, ["RELAY_INTERNAL", "RELAY_UNAVAILABLE"]);
    for (const [code] of Object.entries(RELAY_ERRORS)) assert.match(code, /^RELAY_[A-Z_]+$/);
  });

  it("signed routes list the authentication errors, public ones do not", () => {
    assert.ok(routeErrors(ROUTES.getTask).includes("RELAY_AUTH_REPLAYED"));
    assert.ok(routeErrors(ROUTES.getTask).includes("RELAY_FORBIDDEN"));
    assert.ok(!routeErrors(ROUTES.getNow).includes("RELAY_AUTH_REPLAYED"));
  });

  it("every schema compiles, and error bodies validate", () => {
    const ajv = new Ajv2020.default({ strict: false });
    for (const route of routes) {
      if (route.request && "json" in route.request) ajv.compile(route.request.json);
      if ("json" in route.response.body) ajv.compile(route.response.body.json);
      for (const param of Object.values(route.params ?? {})) ajv.compile(param.schema);
    }
    const validate = ajv.compile(relayErrorBodySchema);
    const body = new RelayError("RELAY_TASK_NOT_ON_CHAIN", "task 7 not seen yet").toBody();
    assert.deepEqual(body, {
      error: { code: "RELAY_TASK_NOT_ON_CHAIN", message: "task 7 not seen yet", retryable: true },
    });
    assert.ok(validate(body));
    assert.ok(!validate({ error: { code: "NOPE", message: "", retryable: false } }));
  });

  it("the request body of uploadTaskArgs rejects unknown fields", () => {
    const ajv = new Ajv2020.default({ strict: false });
    const validate = ajv.compile((ROUTES.uploadTaskArgs.request as { json: object }).json);
    assert.ok(validate({ task_id: "7", task_args: "{}" }));
    assert.ok(!validate({ task_id: "7", task_args: "{}", extra: 1 }));
    assert.ok(!validate({ task_id: "07", task_args: "{}" }));
  });

  it("routePath fills and encodes parameters, and refuses a missing one", () => {
    assert.equal(routePath("getResultImage", { id: 7n, index: 0 }), "/v1/inference_tasks/7/results/0");
    assert.equal(routePath("getTask", { id: "a/b" }), "/v1/inference_tasks/a%2Fb");
    assert.equal(
      routePath("getResultImage", { id: 7n, index: 1 }, { wait: 5 }),
      "/v1/inference_tasks/7/results/1?wait=5",
    );
    assert.equal(
      routePath("getResultImage", { id: 7n, index: 1 }, { wait: undefined }),
      "/v1/inference_tasks/7/results/1",
    );
    assert.throws(() => routePath("getTask"), /needs parameter id/);
  });

  it("the OpenAPI document has every route, its errors by status, and the signature scheme", () => {
    const document = openApiDocument({ version: "0.1.0", serverUrl: "http://127.0.0.1:8080" });
    assert.equal(document.openapi, "3.1.0");
    const upload = document.paths["/v1/inference_tasks"]?.post as {
      security: unknown;
      responses: Record<string, { description: string }>;
      requestBody: unknown;
    };
    assert.ok(upload.security);
    assert.ok(upload.requestBody);
    assert.match(upload.responses["404"]?.description ?? "", /RELAY_TASK_NOT_ON_CHAIN \(retryable\)/);
    assert.match(upload.responses["422"]?.description ?? "", /RELAY_TASK_HASH_MISMATCH/);
    const now = document.paths["/v1/now"]?.get as { security?: unknown };
    assert.equal(now.security, undefined);
    const operations = Object.values(document.paths).flatMap((p) => Object.keys(p));
    assert.equal(operations.length, routes.length);
  });
});

import { ROUTES, type RouteAccess, type RouteDefinition, relayErrorBodySchema } from "@hydrogen/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteGenericInterface } from "fastify";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Who may call the route (the protocol's table): read by the auth hook. */
    access?: RouteAccess;
  }
}

/** Turning the protocol package's route definitions into fastify routes (lodestar's createFastifyRoutes is the model). */

export type RouteName = keyof typeof ROUTES;

/** One route's implementation: its handler, and a body limit when it differs from the server's. */
export interface RouteImplementation<G extends RouteGenericInterface = RouteGenericInterface> {
  handler(request: FastifyRequest<G>, reply: FastifyReply): Promise<unknown>;
  bodyLimit?: number;
}

/** An implementation for every route the protocol declares: a missing one is a type error. */
export type RouteImplementations = { [K in RouteName]: RouteImplementation<never> };

/** A route's path parameters as a JSON Schema object (every one required, nothing else). */
export function paramsSchema(params: Record<string, { schema: Record<string, unknown> }>) {
  return {
    type: "object",
    additionalProperties: false,
    required: Object.keys(params),
    properties: Object.fromEntries(Object.entries(params).map(([name, p]) => [name, p.schema])),
  };
}

/** A route's OpenAPI path template (`/v1/inference_tasks/{id}`) as a fastify path (`…/:id`). */
export function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}

/** A route's optional query parameters as a JSON Schema object (nothing else allowed). */
export function querySchema(query: Record<string, { schema: Record<string, unknown> }>) {
  return {
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(query).map(([name, p]) => [name, p.schema])),
  };
}

/**
 * A route's response schemas: its JSON answer (serialized by the schema, so a field the protocol
 * does not declare never leaves the relay) and the error envelope for every 4xx and 5xx.
 */
export function responseSchema(response: RouteDefinition["response"]) {
  return {
    ...("json" in response.body ? { [response.status]: response.body.json } : {}),
    "4xx": relayErrorBodySchema,
    "5xx": relayErrorBodySchema,
  };
}

/**
 * Registers every route of the protocol's table from its definition alone — method, path,
 * access, path and query parameters, JSON body, responses — with the implementation given for it.
 */
export function registerRoutes(app: FastifyInstance, implementations: RouteImplementations): void {
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const definition: RouteDefinition = ROUTES[name];
    const implementation = implementations[name] as unknown as RouteImplementation;
    const request = definition.request;
    app.route({
      method: definition.method,
      url: fastifyPath(definition.path),
      schema: {
        ...(definition.params ? { params: paramsSchema(definition.params) } : {}),
        ...(definition.query ? { querystring: querySchema(definition.query) } : {}),
        ...(request && "json" in request ? { body: request.json } : {}),
        response: responseSchema(definition.response),
      },
      config: { access: definition.access },
      ...(implementation.bodyLimit ? { bodyLimit: implementation.bodyLimit } : {}),
      handler: implementation.handler,
    });
  }
}

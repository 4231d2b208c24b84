/** Turning the protocol package's route definitions into what fastify takes. */

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

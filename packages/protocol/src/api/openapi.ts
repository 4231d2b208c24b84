import { RELAY_ERRORS, type RelayErrorCode, relayErrorBodySchema } from "./errors.ts";
import { AUTH_ROUTE_ERRORS, type Body, COMMON_ERRORS, ROUTES, type RouteDefinition } from "./routes.ts";

function content(body: Body) {
  if ("json" in body) return { "application/json": { schema: body.json } };
  return { [body.media]: body.schema ? { schema: body.schema } : {} };
}

/**
 * Every error a route can answer with, common ones included.
 *
 * @example
 * routeErrors(ROUTES.getTask) // ["RELAY_INVALID_REQUEST", …, "RELAY_ARGS_NOT_UPLOADED", …]
 */
export function routeErrors(route: RouteDefinition): RelayErrorCode[] {
  const codes = new Set<RelayErrorCode>([...COMMON_ERRORS, ...route.errors]);
  if (route.access !== "public") for (const code of AUTH_ROUTE_ERRORS) codes.add(code);
  return [...codes];
}

/**
 * The relay's OpenAPI 3.1 document, derived from `ROUTES` and `RELAY_ERRORS`.
 *
 * @example
 * const document = openApiDocument({ version: "0.1.0" });
 */
export function openApiDocument(options: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of Object.values(ROUTES) as RouteDefinition[]) {
    const responses: Record<string, unknown> = {
      [route.response.status]: { description: "OK", content: content(route.response.body) },
    };
    const byStatus = new Map<number, RelayErrorCode[]>();
    for (const code of routeErrors(route)) {
      const status = RELAY_ERRORS[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[status] = {
        description: codes.map((code) => `${code}${RELAY_ERRORS[code].retryable ? " (retryable)" : ""}`).join(", "),
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      parameters: [
        ...Object.entries(route.params ?? {}).map(([name, p]) => ({
          name,
          in: "path",
          required: true,
          description: p.description,
          schema: p.schema,
        })),
        ...Object.entries(route.query ?? {}).map(([name, p]) => ({
          name,
          in: "query",
          required: false,
          description: p.description,
          schema: p.schema,
        })),
      ],
      responses,
    };
    if (route.access !== "public") operation.security = [{ hydrogenSignature: [] }];
    if (route.request) operation.requestBody = { required: true, content: content(route.request) };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Hydrogen relay",
      version: options.version,
      description:
        "Carries task arguments and result images. Signed requests carry x-hydrogen-timestamp, x-hydrogen-content-sha256 (with a body) and x-hydrogen-signature: an EIP-712 signature of Request(string method,string path,bytes32 bodyHash,uint64 timestamp) in the domain {name: 'Hydrogen Relay', version: '1', chainId, verifyingContract: TaskManager}. A browser wallet may instead sign once Session(address sessionKey,uint64 expiresAt) (same domain, at most 24 h ahead) and have a session key sign each request, which then carries x-hydrogen-session: <expiresAt>.<the account's signature>; the request speaks for the account.",
    },
    servers: options.serverUrl ? [{ url: options.serverUrl }] : [],
    paths,
    components: {
      schemas: { Error: relayErrorBodySchema },
      securitySchemes: {
        hydrogenSignature: {
          type: "apiKey",
          in: "header",
          name: "x-hydrogen-signature",
          description: "EIP-712 request signature (see info)",
        },
      },
    },
  };
}

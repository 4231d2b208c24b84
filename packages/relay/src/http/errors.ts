import type { Duplex } from "node:stream";
import { RelayError, type RelayErrorCode, RequestAuthError } from "@hydrogen/protocol";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** Database and network failures that mean "try again later", not "bug". */
const UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "SQLITE_BUSY", "57P01", "57P03", "53300"]);

const FASTIFY_CODES: Record<string, RelayErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "RELAY_PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "RELAY_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "RELAY_INVALID_REQUEST",
  FST_ERR_CTP_EMPTY_JSON_BODY: "RELAY_INVALID_REQUEST",
  FST_ERR_CTP_INVALID_JSON_BODY: "RELAY_INVALID_REQUEST",
  FST_ERR_VALIDATION: "RELAY_INVALID_REQUEST",
};

/**
 * Maps anything thrown while serving a request to a RelayError: ours as they are, auth
 * failures by code, the framework's by code, client-caused errors to 400, connection
 * failures to 503, and the rest to 500 (a bug, logged with its stack).
 */
export function toRelayError(error: unknown): RelayError {
  if (error instanceof RelayError) return error;
  if (error instanceof RequestAuthError) return new RelayError(error.code, error.message);
  const e = error as Partial<FastifyError> & { validation?: unknown[] };
  if (e.code && FASTIFY_CODES[e.code]) {
    const details = e.validation?.map((v) => {
      const item = v as { instancePath?: string; message?: string; params?: Record<string, unknown> };
      return { path: item.instancePath ?? "", message: item.message ?? "invalid", params: item.params };
    });
    return new RelayError(FASTIFY_CODES[e.code] as RelayErrorCode, e.message, details);
  }
  if (e instanceof SyntaxError || (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)) {
    return new RelayError("RELAY_INVALID_REQUEST", e.message);
  }
  if (e.code && UNAVAILABLE.has(e.code)) return new RelayError("RELAY_UNAVAILABLE");
  return new RelayError("RELAY_INTERNAL");
}

/** Every error leaves as `{ error: { code, message, retryable } }` with its registered status. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const relayError = toRelayError(error);
    if (relayError.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: relayError.code, msg: relayError.message }, "request refused");
    // A refused upload's unread body is not worth reading: close the connection after the answer.
    if (!request.raw.complete) reply.header("connection", "close");
    return reply.status(relayError.status).send(relayError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new RelayError("RELAY_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`);
    return reply.status(error.status).send(error.toBody());
  });
}

/** Node's HTTP parser errors, by code: a header block too large is 431, a stalled request 408. */
function clientErrorStatus(code: string | undefined): { status: number; reason: string } {
  if (code === "HPE_HEADER_OVERFLOW") return { status: 431, reason: "Request Header Fields Too Large" };
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return { status: 408, reason: "Request Timeout" };
  return { status: 400, reason: "Bad Request" };
}

/**
 * Answers a request Node's HTTP parser refused (malformed HTTP, a path or headers past the
 * 16 KiB header limit) in the relay's error shape, on the raw socket, then closes it.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) return;
  const { status, reason } = clientErrorStatus(error.code);
  const relayError = new RelayError(
    status === 431 ? "RELAY_HEADERS_TOO_LARGE" : "RELAY_INVALID_REQUEST",
    status === 431
      ? "the request line and headers exceed 16 KiB"
      : `malformed HTTP request (${error.code ?? "unknown"})`,
  );
  const body = JSON.stringify(relayError.toBody());
  this.log.debug({ code: error.code }, "malformed HTTP request");
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Fastify's own early errors (a URL that does not decode, a path parameter too long): the relay's shape, 400. */
export function frameworkErrors(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  const message = error.message.length > 300 ? `${error.message.slice(0, 300)}…` : error.message;
  const relayError = new RelayError("RELAY_INVALID_REQUEST", message);
  reply.status(relayError.status).send(relayError.toBody());
}

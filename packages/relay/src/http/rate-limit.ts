import rateLimit from "@fastify/rate-limit";
import { RelayError } from "@hydrogen/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { RelayContext } from "./context.ts";

/** What the plugin throws past a limit: the relay's own 429 (the plugin has set `Retry-After`). */
function limited(kind: string) {
  return (_request: FastifyRequest, context: { after: string; ttl: number }) =>
    new RelayError("RELAY_RATE_LIMITED", `too many requests from this ${kind}: retry in ${context.after}`, {
      retry_after_seconds: Math.ceil(context.ttl / 1000),
    });
}

/**
 * Two request budgets per instance (@fastify/rate-limit, in memory): one per client address,
 * counted in onRequest before the signature is recovered, so random keys cannot buy
 * ecrecovers; and one per signer, counted once the signature is verified and before the body
 * is read, so a refused node or application cannot retry without end. Register before the
 * auth hook: the address budget must come first.
 */
export async function registerRateLimits(app: FastifyInstance, context: RelayContext): Promise<void> {
  const { windowSeconds, perAddress, perSigner, allowList } = context.config.rateLimit;
  const common = {
    global: true,
    timeWindow: windowSeconds * 1000,
    addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
    addHeaders: {
      "x-ratelimit-limit": false,
      "x-ratelimit-remaining": false,
      "x-ratelimit-reset": false,
      "retry-after": true,
    },
  };
  const exempt = new Set(allowList);
  if (perAddress > 0) {
    await app.register(rateLimit, {
      ...common,
      max: perAddress,
      allowList: (request: FastifyRequest) => exempt.has(request.ip),
      errorResponseBuilder: limited("address"),
      onExceeded: () => context.metrics.rateLimited.inc({ by: "address" }),
    });
  }
  if (perSigner > 0) {
    await app.register(rateLimit, {
      ...common,
      max: perSigner,
      hook: "preParsing",
      // Unsigned (public) routes have no signer: the address budget covers them.
      allowList: (request: FastifyRequest) => request.auth === null || exempt.has(request.ip),
      keyGenerator: (request: FastifyRequest) => request.auth?.signer.toLowerCase() ?? "",
      errorResponseBuilder: limited("signer"),
      onExceeded: () => context.metrics.rateLimited.inc({ by: "signer" }),
    });
  }
}

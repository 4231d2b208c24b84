import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * The relay's Prometheus metrics, on a registry of its own (several relays in one process,
 * as in tests, do not share counters).
 */
export function createMetrics() {
  const registry = new Registry();
  // Event-loop lag sampled every second, not prom-client's 10 ms (a timer waking an idle relay
  // 100 times a second).
  collectDefaultMetrics({ register: registry, prefix: "hydrogen_relay_", eventLoopMonitoringPrecision: 1000 });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "hydrogen_relay_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["route", "method", "status"] as const,
      registers,
    }),
    latency: new Histogram({
      name: "hydrogen_relay_request_duration_seconds",
      help: "HTTP request latency by route",
      labelNames: ["route", "method"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    uploads: new Counter({
      name: "hydrogen_relay_uploads_total",
      help: "Uploads by kind (args, results) and outcome (stored, duplicate, rejected)",
      labelNames: ["kind", "outcome"] as const,
      registers,
    }),
    heldRequests: new Gauge({
      name: "hydrogen_relay_held_requests",
      help: "Image downloads held (?wait=) until their task's upload",
      registers,
    }),
    uploadedImages: new Counter({
      name: "hydrogen_relay_uploaded_images_total",
      help: "Result images stored after pHash verification",
      registers,
    }),
    verificationFailures: new Counter({
      name: "hydrogen_relay_verification_failures_total",
      help: "Uploads refused by a check: task hash, schema, PNG, pHash, image count",
      labelNames: ["code"] as const,
      registers,
    }),
    authFailures: new Counter({
      name: "hydrogen_relay_auth_failures_total",
      help: "Requests refused by authentication, by error code",
      labelNames: ["code"] as const,
      registers,
    }),
    receiving: new Gauge({
      name: "hydrogen_relay_uploads_receiving",
      help: "Result uploads being received and verified now (at most one per task)",
      registers,
    }),
    rateLimited: new Counter({
      name: "hydrogen_relay_rate_limited_total",
      help: "Requests refused with 429, by the budget they exceeded (address or signer)",
      labelNames: ["by"] as const,
      registers,
    }),
    chainEvents: new Counter({
      name: "hydrogen_relay_chain_events_total",
      help: "TaskManager events applied, by name",
      labelNames: ["event"] as const,
      registers,
    }),
    reorgs: new Counter({
      name: "hydrogen_relay_reorgs_total",
      help: "Reorganisations of applied blocks rolled back by the chain follower",
      registers,
    }),
    followerErrors: new Counter({
      name: "hydrogen_relay_follower_errors_total",
      help: "Chain follower steps that failed and were retried",
      registers,
    }),
    cursor: new Gauge({ name: "hydrogen_relay_follower_cursor_block", help: "Last block applied", registers }),
    lag: new Gauge({
      name: "hydrogen_relay_follower_lag_blocks",
      help: "Blocks between the chain head and the last applied block (as of the last readiness check)",
      registers,
    }),
    leader: new Gauge({
      name: "hydrogen_relay_follower_leader",
      help: "1 while this instance follows the chain",
      registers,
    }),
    retentionDeleted: new Counter({
      name: "hydrogen_relay_retention_deleted_tasks_total",
      help: "Tasks whose data retention deleted",
      registers,
    }),
  };
}

export type RelayMetrics = ReturnType<typeof createMetrics>;

import { ABORT_REASONS } from "../abi/enums.ts";
import type { RelayErrorCode } from "./errors.ts";

/**
 * Who may call a route (spec §7); everything but `public` needs a signed request (`account`:
 * any signer, acting for itself).
 */
export type RouteAccess = "public" | "account" | "creator" | "creator_or_node" | "result_node";

/** A response body: JSON with a schema, or raw bytes of a media type. */
export type Body = { json: Record<string, unknown> } | { media: string; schema?: Record<string, unknown> };

/** One relay route, declared once: the server, the clients and the OpenAPI document derive from it. */
export interface RouteDefinition {
  operationId: string;
  method: "GET" | "POST";
  /** OpenAPI-style template, e.g. `/v1/inference_tasks/{id}`. */
  path: string;
  summary: string;
  access: RouteAccess;
  params?: Record<string, { schema: Record<string, unknown>; description: string }>;
  /** Optional query parameters; any other is refused. */
  query?: Record<string, { schema: Record<string, unknown>; description: string }>;
  request?: Body;
  response: { status: 200; body: Body };
  /** The errors this route answers with besides the common ones. */
  errors: readonly RelayErrorCode[];
}

/** Errors every route may give. */
export const COMMON_ERRORS = [
  "RELAY_INVALID_REQUEST",
  "RELAY_UNAVAILABLE",
  "RELAY_INTERNAL",
] as const satisfies readonly RelayErrorCode[];

/** Errors every signed route may give. */
export const AUTH_ROUTE_ERRORS = [
  "RELAY_AUTH_MISSING",
  "RELAY_AUTH_MALFORMED",
  "RELAY_AUTH_CLOCK_SKEW",
  "RELAY_AUTH_BAD_SIGNATURE",
  "RELAY_AUTH_REPLAYED",
  "RELAY_FORBIDDEN",
] as const satisfies readonly RelayErrorCode[];

/** The longest a request may ask the relay to wait for an upload (`?wait=`). */
export const MAX_WAIT_SECONDS = 30;

const taskId = { type: "string", pattern: "^[1-9][0-9]{0,77}$", description: "decimal task id (uint256)" } as const;
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" } as const;
const bytes32 = { type: "string", pattern: "^0x[0-9a-f]{64}$" } as const;
const idParam = { id: { schema: taskId, description: "the task id" } };

/** `?wait=N`: whole seconds, at most MAX_WAIT_SECONDS, to hold a request until `what` is uploaded. */
function waitQuery(what: string) {
  return {
    wait: {
      schema: { type: "string", pattern: `^([0-9]|[1-2][0-9]|${MAX_WAIT_SECONDS})$` },
      description: `seconds (at most ${MAX_WAIT_SECONDS}) to hold the request while the ${what} are not uploaded yet: it is answered as soon as they are`,
    },
  };
}

/** A JSON body that is an object with exactly these properties, all required unless `required` names fewer. */
function closedObject(
  properties: Record<string, Record<string, unknown>>,
  required: readonly string[] = Object.keys(properties),
): Body {
  return { json: { type: "object", additionalProperties: false, required, properties } };
}

/** What the relay knows of a task from the chain and its uploads. */
export const TASK_PHASES = [
  "created",
  "args_uploaded",
  "commitments_ready",
  "success",
  "results_uploaded",
  "aborted",
] as const;

const taskStatus = {
  type: "object",
  additionalProperties: false,
  required: ["task_id", "phase"],
  properties: {
    task_id: taskId,
    phase: { enum: TASK_PHASES },
    abort_reason: { enum: ABORT_REASONS },
    num_images: { type: "integer", minimum: 1 },
  },
} as const;

/** The most tasks one page of `GET /v1/tasks` holds. */
export const MAX_TASKS_PAGE = 100;

/** One task as the relay's index lists it. */
const indexedTask = {
  type: "object",
  additionalProperties: false,
  required: ["task_id", "creator", "nodes", "phase", "created_block"],
  properties: {
    task_id: taskId,
    creator: address,
    nodes: { type: "array", items: address, maxItems: 3, description: "the selected nodes, by round" },
    phase: { enum: TASK_PHASES },
    abort_reason: { enum: ABORT_REASONS },
    result_node: address,
    created_block: { type: "integer" },
  },
} as const;

/** A webhook as its owner sees it; the secret only in the answer that created it. */
function webhook(withSecret: boolean) {
  return {
    type: "object",
    additionalProperties: false,
    required: ["id", "url", ...(withSecret ? ["secret"] : [])],
    properties: {
      id: { type: "string" },
      url: { type: "string" },
      ...(withSecret
        ? {
            secret: {
              type: "string",
              description:
                "HMAC-SHA256 key: each delivery carries x-hydrogen-webhook-signature = hex(HMAC-SHA256(secret, timestamp + '.' + body)), timestamp being x-hydrogen-webhook-timestamp",
            },
          }
        : {}),
    },
  } as const;
}

/** One chain event of a task's timeline. */
const timelineEvent = {
  type: "object",
  additionalProperties: false,
  required: ["name", "block", "log_index"],
  properties: {
    name: { type: "string", description: "the TaskManager event" },
    block: { type: "integer" },
    log_index: { type: "integer" },
    tx_hash: bytes32,
    time: { type: "integer", description: "unix seconds of the block, when the RPC gave it" },
    node: address,
    round: { type: "integer" },
    amount: { type: "string", description: "wei, decimal" },
    reason: { type: "string" },
  },
} as const;

/** The most nodes, or node history entries, one page holds. */
export const MAX_NODES_PAGE = 100;

const pageLimit = {
  schema: { type: "string", pattern: "^([1-9]|[1-9][0-9]|100)$" },
  description: `entries per page, at most ${MAX_NODES_PAGE} (default 20)`,
};
const nodeParam = { address: { schema: address, description: "the node's address" } };

/** A node as the relay's index sums up its NodeRegistry and TaskManager events. */
const indexedNode = {
  type: "object",
  additionalProperties: false,
  required: ["address", "status", "stake", "earned", "paid_tasks", "slashes", "missed", "first_block", "last_block"],
  properties: {
    address: { ...address, description: "lower-case" },
    status: { type: "string", description: "Quit, Available, Busy, Paused, PendingPause or PendingQuit" },
    stake: { type: "string", description: "wei the registry holds for it, decimal" },
    earned: { type: "string", description: "wei paid to it for tasks, decimal" },
    paid_tasks: { type: "integer" },
    slashes: { type: "integer" },
    missed: { type: "integer", description: "tasks cancelled after the deadline with it unpaid (not slashed)" },
    first_block: { type: "integer" },
    last_block: { type: "integer", description: "the block of its latest event" },
  },
} as const;

/** One entry of a node's history. */
const nodeHistoryEntry = {
  type: "object",
  additionalProperties: false,
  required: ["kind", "block", "log_index"],
  properties: {
    kind: { enum: ["joined", "status", "stake_returned", "stake_slashed", "paid", "slashed", "missed"] },
    block: { type: "integer" },
    log_index: { type: "integer" },
    task_id: taskId,
    amount: { type: "string", description: "wei, decimal" },
    detail: {
      type: "string",
      description:
        "status: `previous>current`; slashed: result_mismatch or error_outvoted; missed: no_commitment, no_disclosure or no_upload",
    },
    tx_hash: bytes32,
    time: { type: "integer", description: "unix seconds of the block, when the RPC gave it" },
  },
} as const;

export const ROUTES = {
  uploadTaskArgs: {
    operationId: "uploadTaskArgs",
    method: "POST",
    path: "/v1/inference_tasks",
    summary: "Upload a task's arguments (the creator); the same arguments again is a no-op",
    access: "creator",
    request: {
      json: {
        type: "object",
        additionalProperties: false,
        required: ["task_id", "task_args"],
        properties: {
          task_id: taskId,
          task_args: { type: "string", description: "the exact JSON string whose keccak256 is the task hash" },
        },
      },
    },
    response: {
      status: 200,
      body: {
        json: {
          type: "object",
          additionalProperties: false,
          required: ["task_id", "task_hash"],
          properties: { task_id: taskId, task_hash: bytes32 },
        },
      },
    },
    errors: [
      "RELAY_TASK_NOT_ON_CHAIN",
      "RELAY_TASK_HASH_MISMATCH",
      "RELAY_INVALID_TASK_ARGS",
      "RELAY_TASK_ENDED",
      "RELAY_PAYLOAD_TOO_LARGE",
      "RELAY_AUTH_BODY_MISMATCH",
      "RELAY_UNSUPPORTED_MEDIA_TYPE",
    ],
  },
  getTask: {
    operationId: "getTask",
    method: "GET",
    path: "/v1/inference_tasks/{id}",
    summary: "A task's arguments and what the relay knows of it (the creator or a selected node)",
    access: "creator_or_node",
    params: idParam,
    query: waitQuery("arguments"),
    response: {
      status: 200,
      body: {
        json: {
          type: "object",
          additionalProperties: false,
          required: ["task_id", "task_args", "task_hash", "creator", "nodes", "phase"],
          properties: {
            task_id: taskId,
            task_args: { type: "string" },
            task_hash: bytes32,
            creator: address,
            nodes: { type: "array", items: address, minItems: 3, maxItems: 3 },
            phase: { enum: TASK_PHASES },
            result: { type: "string", pattern: "^0x([0-9a-f]{16})+$" },
          },
        },
      },
    },
    errors: ["RELAY_TASK_NOT_ON_CHAIN", "RELAY_ARGS_NOT_UPLOADED", "RELAY_TASK_ENDED"],
  },
  uploadResults: {
    operationId: "uploadResults",
    method: "POST",
    path: "/v1/inference_tasks/{id}/results",
    summary: "Upload the images (the result node, after TaskSuccess): one `images` part per image, in order",
    access: "result_node",
    params: idParam,
    request: {
      media: "multipart/form-data",
      schema: {
        type: "object",
        required: ["images"],
        properties: { images: { type: "array", items: { type: "string", contentMediaType: "image/png" } } },
      },
    },
    response: {
      status: 200,
      body: {
        json: {
          type: "object",
          additionalProperties: false,
          required: ["task_id", "images"],
          properties: { task_id: taskId, images: { type: "integer", minimum: 1 } },
        },
      },
    },
    errors: [
      "RELAY_TASK_NOT_ON_CHAIN",
      "RELAY_TASK_NOT_SUCCEEDED",
      "RELAY_RESULTS_ALREADY_UPLOADED",
      "RELAY_TASK_ENDED",
      "RELAY_NOT_PNG",
      "RELAY_IMAGE_COUNT_MISMATCH",
      "RELAY_IMAGE_HASH_MISMATCH",
      "RELAY_PAYLOAD_TOO_LARGE",
      "RELAY_AUTH_BODY_MISMATCH",
      "RELAY_UNSUPPORTED_MEDIA_TYPE",
    ],
  },
  getResultImage: {
    operationId: "getResultImage",
    method: "GET",
    path: "/v1/inference_tasks/{id}/results/{index}",
    summary: "One result image (the creator)",
    access: "creator",
    params: {
      ...idParam,
      index: { schema: { type: "string", pattern: "^[0-9]{1,3}$" }, description: "image index, from 0" },
    },
    query: waitQuery("images"),
    response: { status: 200, body: { media: "image/png" } },
    errors: [
      "RELAY_TASK_NOT_ON_CHAIN",
      "RELAY_RESULTS_NOT_UPLOADED",
      "RELAY_IMAGE_INDEX_OUT_OF_RANGE",
      "RELAY_TASK_ENDED",
    ],
  },
  getTaskStatus: {
    operationId: "getTaskStatus",
    method: "GET",
    path: "/v1/inference_tasks/{id}/status",
    summary: "The task's phase as the relay knows it (anyone)",
    access: "public",
    params: idParam,
    response: { status: 200, body: { json: taskStatus } },
    errors: ["RELAY_TASK_NOT_ON_CHAIN"],
  },
  listTasks: {
    operationId: "listTasks",
    method: "GET",
    path: "/v1/tasks",
    summary: "Tasks the relay has seen, newest first, by creator or by node, a page at a time (anyone)",
    access: "public",
    query: {
      creator: { schema: address, description: "only this creator's tasks" },
      node: { schema: address, description: "only the tasks this node was selected for" },
      before: { schema: taskId, description: "the page after this task id (the previous page's `next`)" },
      limit: {
        schema: { type: "string", pattern: "^([1-9]|[1-9][0-9]|100)$" },
        description: `tasks per page, at most ${MAX_TASKS_PAGE} (default 20)`,
      },
    },
    response: {
      status: 200,
      body: closedObject(
        {
          tasks: { type: "array", items: indexedTask },
          next: { ...taskId, description: "pass as `before` for the next page; absent on the last" },
        },
        ["tasks"],
      ),
    },
    errors: [],
  },
  getStats: {
    operationId: "getStats",
    method: "GET",
    path: "/v1/stats",
    summary: "Network statistics from the relay's index: tasks by phase, the last block applied (anyone)",
    access: "public",
    response: {
      status: 200,
      body: closedObject(
        {
          tasks: { type: "integer" },
          by_phase: { type: "object", additionalProperties: { type: "integer" } },
          cursor_block: { type: "integer", description: "the last block the relay applied" },
          nodes: { type: "object", additionalProperties: { type: "integer" }, description: "nodes by status" },
        },
        ["tasks", "by_phase"],
      ),
    },
    errors: [],
  },
  listNodes: {
    operationId: "listNodes",
    method: "GET",
    path: "/v1/nodes",
    summary:
      "Nodes the relay's index knows, in address order, a page at a time: status, stake, earnings, slashes (anyone)",
    access: "public",
    query: {
      status: {
        schema: { enum: ["Quit", "Available", "Busy", "Paused", "PendingPause", "PendingQuit"] },
        description: "only nodes of this status",
      },
      after: { schema: address, description: "the page after this address (the previous page's `next`)" },
      limit: pageLimit,
    },
    response: {
      status: 200,
      body: closedObject(
        {
          nodes: { type: "array", items: indexedNode },
          next: { ...address, description: "pass as `after` for the next page; absent on the last" },
        },
        ["nodes"],
      ),
    },
    errors: [],
  },
  getNode: {
    operationId: "getNode",
    method: "GET",
    path: "/v1/nodes/{address}",
    summary: "One node as the index sums it up (anyone)",
    access: "public",
    params: nodeParam,
    response: { status: 200, body: { json: indexedNode } },
    errors: ["RELAY_NODE_UNKNOWN"],
  },
  getNodeHistory: {
    operationId: "getNodeHistory",
    method: "GET",
    path: "/v1/nodes/{address}/history",
    summary:
      "A node's history, newest first: joins, status changes, payments, every slash and missed task with its reason (anyone)",
    access: "public",
    params: nodeParam,
    query: {
      before: {
        schema: { type: "string", pattern: "^[0-9]{1,15}\\.[0-9]{1,9}$" },
        description: "the page after this entry (the previous page's `next`)",
      },
      limit: pageLimit,
    },
    response: {
      status: 200,
      body: closedObject(
        {
          events: { type: "array", items: nodeHistoryEntry },
          next: { type: "string", description: "pass as `before` for the next page; absent on the last" },
        },
        ["events"],
      ),
    },
    errors: ["RELAY_NODE_UNKNOWN"],
  },
  getTaskTimeline: {
    operationId: "getTaskTimeline",
    method: "GET",
    path: "/v1/inference_tasks/{id}/timeline",
    summary:
      "The task's chain events in order — creation, each node's commitment or error report, disclosures, outcome, payments and slashes — with blocks and transactions (anyone)",
    access: "public",
    params: idParam,
    response: {
      status: 200,
      body: closedObject({ task_id: taskId, events: { type: "array", items: timelineEvent } }),
    },
    errors: ["RELAY_TASK_NOT_ON_CHAIN"],
  },
  streamTaskPhases: {
    operationId: "streamTaskPhases",
    method: "GET",
    path: "/v1/inference_tasks/{id}/events",
    summary:
      "Server-Sent Events: a `phase` event with the task's status now and at each change, until it ends (anyone)",
    access: "public",
    params: idParam,
    response: { status: 200, body: { media: "text/event-stream", schema: taskStatus } },
    errors: ["RELAY_TASK_NOT_ON_CHAIN", "RELAY_RATE_LIMITED"],
  },
  createWebhook: {
    operationId: "createWebhook",
    method: "POST",
    path: "/v1/webhooks",
    summary:
      "Have the relay POST each phase change of the signer's tasks to a URL, signed with the secret returned once (any account)",
    access: "account",
    request: {
      json: {
        type: "object",
        additionalProperties: false,
        required: ["url"],
        properties: { url: { type: "string", maxLength: 2048, description: "an http(s) URL on a public address" } },
      },
    },
    response: { status: 200, body: { json: webhook(true) } },
    errors: ["RELAY_WEBHOOK_REFUSED", "RELAY_AUTH_BODY_MISMATCH", "RELAY_UNSUPPORTED_MEDIA_TYPE"],
  },
  listWebhooks: {
    operationId: "listWebhooks",
    method: "GET",
    path: "/v1/webhooks",
    summary: "The signer's webhooks (any account)",
    access: "account",
    response: { status: 200, body: closedObject({ webhooks: { type: "array", items: webhook(false) } }) },
    errors: [],
  },
  deleteWebhook: {
    operationId: "deleteWebhook",
    method: "POST",
    path: "/v1/webhooks/{webhook}/delete",
    summary: "Stop a webhook of the signer's (any account)",
    access: "account",
    params: { webhook: { schema: { type: "string", pattern: "^[0-9a-f]{32}$" }, description: "the webhook's id" } },
    response: { status: 200, body: closedObject({ id: { type: "string" } }) },
    errors: ["RELAY_NOT_FOUND"],
  },
  getNow: {
    operationId: "getNow",
    method: "GET",
    path: "/v1/now",
    summary: "The relay's clock in unix seconds, to detect clock skew before signing",
    access: "public",
    response: { status: 200, body: closedObject({ now: { type: "integer" } }) },
    errors: [],
  },
  getLimits: {
    operationId: "getLimits",
    method: "GET",
    path: "/v1/limits",
    summary: "The sizes this relay accepts, so an application checks its arguments before it pays",
    access: "public",
    response: {
      status: 200,
      body: closedObject({
        task_args_bytes: { type: "integer", description: "largest task-arguments string, UTF-8 bytes" },
        image_bytes: { type: "integer", description: "largest result image, bytes" },
        upload_bytes: { type: "integer", description: "largest result upload of one task, bytes" },
      }),
    },
    errors: [],
  },
  health: {
    operationId: "health",
    method: "GET",
    path: "/healthz",
    summary: "Liveness",
    access: "public",
    response: {
      status: 200,
      body: { json: { type: "object", required: ["status"], properties: { status: { const: "ok" } } } },
    },
    errors: [],
  },
  ready: {
    operationId: "ready",
    method: "GET",
    path: "/readyz",
    summary: "Readiness: database reachable and chain follower not too far behind (503 otherwise)",
    access: "public",
    response: {
      status: 200,
      body: {
        json: {
          type: "object",
          required: ["status", "checks"],
          properties: {
            status: { const: "ready" },
            checks: { type: "object", additionalProperties: { type: "string" } },
          },
        },
      },
    },
    errors: [],
  },
  metrics: {
    operationId: "metrics",
    method: "GET",
    path: "/metrics",
    summary: "Prometheus metrics",
    access: "public",
    response: { status: 200, body: { media: "text/plain; version=0.0.4" } },
    errors: [],
  },
} as const satisfies Record<string, RouteDefinition>;

export type RouteName = keyof typeof ROUTES;

/**
 * The concrete path of a route, e.g. `routePath("getResultImage", { id: "7", index: "0" })`.
 *
 * @example
 * routePath("getTask", { id: "7" }) // "/v1/inference_tasks/7"
 */
export function routePath(
  name: RouteName,
  params: Record<string, string | number | bigint> = {},
  query: Record<string, string | number | undefined> = {},
): string {
  const path = ROUTES[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name} needs parameter ${key}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  return search.size ? `${path}?${search}` : path;
}

export {
  createRelayClient,
  multipartImages,
  NODE_LOSS_REASONS,
  type NodeLossReason,
  type RelayClient,
  type RelayClientOptions,
  type RelayIndexedNode,
  type RelayIndexedTask,
  type RelayLimits,
  type RelayNodeHistoryEntry,
  type RelayStats,
  type RelayTask,
  type RelayTaskStatus,
  type RelayTimelineEvent,
  RelayUnreachableError,
} from "./client.ts";
export {
  RELAY_ERRORS,
  RelayError,
  type RelayErrorBody,
  type RelayErrorCode,
  type RelayErrorSpec,
  relayErrorBodySchema,
} from "./errors.ts";
export { openApiDocument, routeErrors } from "./openapi.ts";
export {
  AUTH_ROUTE_ERRORS,
  COMMON_ERRORS,
  ROUTES,
  type RouteAccess,
  type RouteDefinition,
  type RouteName,
  routePath,
  TASK_PHASES,
} from "./routes.ts";

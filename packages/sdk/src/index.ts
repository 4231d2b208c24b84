/** The deployments file a client is created from (the protocol package's type, re-exported for applications). */
export type {
  Deployment,
  RelayIndexedNode,
  RelayIndexedTask,
  RelayNodeHistoryEntry,
  RelayStats,
  RelayTaskStatus,
  RelayTimelineEvent,
  TaskArgs,
  TaskArgsInput,
  TaskArgsViolation,
} from "@hydrogen/protocol";
/** The ControlNet preprocessing methods, the arguments each takes, and the validator (spec §9), for forms. */
export { NODE_LOSS_REASONS, PREPROCESS_ARGS, PREPROCESS_METHODS, parseTaskArgs } from "@hydrogen/protocol";
export { approveTasks } from "./actions/approveTasks.ts";
export {
  type CancelTaskErrorType,
  type CancelTaskParameters,
  type CancelTaskReturnType,
  cancelTask,
} from "./actions/cancelTask.ts";
export {
  type CreateTaskErrorType,
  type CreateTaskParameters,
  type CreateTaskReturnType,
  createTask,
} from "./actions/createTask.ts";
export {
  type DownloadImagesErrorType,
  type DownloadImagesParameters,
  type DownloadImagesReturnType,
  downloadImages,
  type VerifiedImage,
} from "./actions/downloadImages.ts";
export { type GetAccountStateReturnType, getAccountState } from "./actions/getAccountState.ts";
export {
  type GetNetworkStatsParameters,
  type GetNetworkStatsReturnType,
  getNetworkStats,
  type NetworkSlash,
  type NetworkTask,
  type TaskOutcome,
} from "./actions/getNetworkStats.ts";
export {
  type GetNodeStatusParameters,
  type GetNodeStatusReturnType,
  getNodeStatus,
  NODE_STATUSES,
  type NodeStatus,
} from "./actions/getNodeStatus.ts";
export {
  type GetTaskErrorType,
  type GetTaskParameters,
  type GetTaskReturnType,
  getTask,
  type RoundState,
  type TaskPhase,
} from "./actions/getTask.ts";
export { getTaskArgs } from "./actions/getTaskArgs.ts";
export { type GetTaskEventsParameters, getTaskEvents, type TaskEvent } from "./actions/getTaskEvents.ts";
export {
  type ListedTask,
  type ListTasksParameters,
  type ListTasksReturnType,
  listTasks,
} from "./actions/listTasks.ts";
export {
  getRelayNode,
  getRelayStats,
  getTaskTimeline,
  type ListRelayNodesParameters,
  type ListRelayTasksParameters,
  type ListRelayTasksReturnType,
  listRelayNodes,
  listRelayTasks,
  type WatchTaskPhasesParameters,
  watchTaskPhases,
} from "./actions/relayIndex.ts";
export {
  RUN_TASK_PHASES,
  type RunTaskErrorType,
  type RunTaskParameters,
  type RunTaskPhase,
  type RunTaskProgress,
  type RunTaskReturnType,
  runTask,
} from "./actions/runTask.ts";
export {
  type UploadTaskArgsErrorType,
  type UploadTaskArgsParameters,
  type UploadTaskArgsReturnType,
  uploadTaskArgs,
} from "./actions/uploadTaskArgs.ts";
export {
  type WaitForTaskErrorType,
  type WaitForTaskParameters,
  type WaitForTaskReturnType,
  waitForTask,
} from "./actions/waitForTask.ts";
export {
  accountOf,
  type CreateHydrogenClientParameters,
  closeHydrogenClient,
  createHydrogenClient,
  type HydrogenClient,
  type HydrogenWallet,
} from "./client.ts";
export * from "./errors.ts";
export { type WaitForReceiptOptions, waitForReceipt } from "./receipt.ts";
export { sendSigned, sendTransactionCall, type TransactionCall } from "./send.ts";
export { type RelaySessionOptions, relaySessions, type SessionStore, type StoredSession } from "./session.ts";

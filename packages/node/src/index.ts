export type { NodeStatusReport, TaskSummary } from "./api/status.ts";
export { runNode } from "./cli.ts";
export { ConfigError, ENVIRONMENT, loadConfig, parseConfig, redactConfig } from "./config/load.ts";
export type { NodeConfig, NodeConfigInput } from "./config/schema.ts";
export { checkComfyUI, type EngineCheckReport } from "./engines/comfyui/check.ts";
export {
  type Engine,
  EngineRejectedError,
  type EngineRequest,
  EngineUnavailableError,
  SyntheticEngine,
} from "./engines/index.ts";
export {
  type ModelFile,
  ModelInvalidError,
  type ModelManager,
  ModelUnavailableError,
  type PreparedModels,
} from "./models/manager.ts";
export { type HydrogenNode, type NodeDependencies, startNode } from "./node.ts";
export { StakingError } from "./staking.ts";
export { NodeStore, type Outcome, type TaskRecord } from "./store/store.ts";
export { type Action, type ChainView, decide } from "./task/decide.ts";
export { NotReadyError, TaskFaultError, TransientError } from "./task/errors.ts";
export { InvalidTransitionError, type TaskState, transitions } from "./task/state.ts";
export { createKeystore, loadWallet, WalletError } from "./wallet/wallet.ts";

export {
  ConfigError,
  type EnvironmentMap,
  type LayeredConfigOptions,
  loadLayeredConfig,
  parseWith,
} from "./config.ts";
export {
  ChainFollower,
  type FollowerDependencies,
  type FollowerOptions,
  type FollowerStatus,
  type LogBatch,
  sleep,
} from "./follower.ts";
export {
  type ContractCall,
  ContractRevertError,
  decodeRevert,
  type SenderOptions,
  type SentTransaction,
  TransactionRevertedError,
  TransactionSender,
} from "./sender.ts";

export { bloomMayContain } from "./bloom.ts";
export { assertChainId, ChainMismatchError } from "./chain-id.ts";
export {
  ChainFollower,
  type FollowerDependencies,
  type FollowerOptions,
  type FollowerStatus,
  type LogBatch,
} from "./follower.ts";
export {
  type Head,
  type HeadWatcher,
  type TopicFilter,
  type WatchHeadsOptions,
  watchHeads,
  watchLogs,
} from "./heads.ts";
export {
  type ContractCall,
  ContractRevertError,
  decodeRevert,
  type SenderOptions,
  type SentTransaction,
  TransactionDroppedError,
  TransactionRevertedError,
  TransactionSender,
} from "./sender.ts";
export { type RpcTransport, type RpcTransportOptions, rpcTransport } from "./transport.ts";

export { bloomMayContain } from "./bloom.ts";
export { assertChainId, ChainMismatchError } from "./chain-id.ts";
export { defaultConfirmations, UNKNOWN_CHAIN_CONFIRMATIONS } from "./confirmations.ts";
export {
  ChainFollower,
  type FollowerDependencies,
  type FollowerOptions,
  type FollowerStatus,
  type LogBatch,
  type Reorganisation,
} from "./follower.ts";
export {
  type Head,
  type HeadWatcher,
  type TopicFilter,
  type WatchHeadsOptions,
  watchHeads,
  watchLogs,
} from "./heads.ts";
export { type BlockRef, ChainMovedError, ReorgTooDeepError } from "./reorg.ts";
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

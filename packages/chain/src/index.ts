export {
  ChainFollower,
  type FollowerDependencies,
  type FollowerOptions,
  type FollowerStatus,
  type LogBatch,
  sleep,
} from "./follower.ts";

export { generateSalt, makeCommitment } from "./commitment.ts";
export {
  buildResult,
  DEFAULT_DISTANCE_THRESHOLD,
  hammingDistance,
  IMAGE_HASH_BYTES,
  InvalidResultError,
  resultsMatch,
  splitResult,
} from "./result.ts";

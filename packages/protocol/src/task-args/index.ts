export { largestTaskArgs } from "./largest.ts";
export { CONTROL_IMAGE_DATAURL_CHARS, TASK_ARGS_LIMITS, TASK_ARGS_MAX_BYTES, utf8Bytes } from "./limits.ts";
export { PREPROCESS_ARGS, PREPROCESS_METHODS, taskArgsSchema } from "./schema.ts";
export type { ModelRef, PreprocessMethod, TaskArgs, TaskArgsInput } from "./types.ts";
export {
  type ParseTaskArgsResult,
  parseTaskArgs,
  parseTaskArgsJson,
  type TaskArgsViolation,
  taskHash,
} from "./validate.ts";

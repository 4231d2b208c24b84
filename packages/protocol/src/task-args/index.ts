export { PREPROCESS_METHODS, taskArgsSchema } from "./schema.ts";
export type { ModelRef, PreprocessMethod, TaskArgs, TaskArgsInput } from "./types.ts";
export {
  type ParseTaskArgsResult,
  parseTaskArgs,
  parseTaskArgsJson,
  type TaskArgsViolation,
  taskHash,
} from "./validate.ts";

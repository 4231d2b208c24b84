import { EngineRejectedError, EngineUnavailableError } from "../engine.ts";
import type { ComfyHistoryEntry, ComfyPromptError } from "./client.ts";

/** Validation errors caused by the task's own values (e.g. preprocessing arguments out of range). */
const TASK_VALUE_ERRORS = new Set(["value_bigger_than_max", "value_smaller_than_min", "invalid_input_type"]);

/**
 * SPEC §6 classes for a refused workflow: a value the task chose that ComfyUI rejects is the
 * task's fault; a missing node type or a model ComfyUI cannot see is this installation's
 * trouble (transient: the operator fixes it, and the task is retried until its deadline).
 */
export function fromPromptError(error: ComfyPromptError): Error {
  const all = Object.values(error.nodeErrors).flatMap((node) =>
    node.errors.map((e) => ({ ...e, node: node.class_type })),
  );
  const describe =
    all.map((e) => `${e.node}.${e.extra_info?.input_name ?? "?"}: ${e.message}`).join("; ") || error.message;
  if (all.length > 0 && all.every((e) => TASK_VALUE_ERRORS.has(e.type))) {
    return new EngineRejectedError(`ComfyUI rejects the task's values: ${describe}`, { cause: error });
  }
  return new EngineUnavailableError(`ComfyUI refused the workflow (${error.type}): ${describe}`, { cause: error });
}

/** Out of memory and crashes are the node's trouble; tensor shape mismatches mean the task combined incompatible models. */
export function fromExecutionError(entry: ComfyHistoryEntry): Error {
  const failure = entry.status?.messages?.find(([kind]) => kind === "execution_error")?.[1] ?? {};
  const type = String(failure.exception_type ?? "");
  const message = String(failure.exception_message ?? "execution failed");
  const where = failure.node_type ? ` in ${failure.node_type}` : "";
  if (/OutOfMemory|out of memory|CUDA error|MPS backend out of memory/i.test(`${type} ${message}`)) {
    return new EngineUnavailableError(`ComfyUI ran out of memory${where}: ${message}`);
  }
  if (/shapes cannot be multiplied|size mismatch|must match the size of tensor/i.test(message)) {
    return new EngineRejectedError(`the task's models do not fit together${where}: ${message}`);
  }
  return new EngineUnavailableError(`ComfyUI failed${where}: ${type} ${message}`.trim());
}

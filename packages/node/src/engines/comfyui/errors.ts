import { EngineUnavailableError } from "../engine.ts";
import type { ComfyHistoryEntry, ComfyPromptError } from "./client.ts";

/**
 * A workflow ComfyUI refused, as spec §6 classes it: transient, always. Our own schema and
 * header checks have passed by the time ComfyUI sees the task, so a refusal comes from this
 * installation (its version, its custom nodes, a model it cannot see); another node may run
 * the task fine. The operator reads the reason in the log and on the dashboard.
 */
export function fromPromptError(error: ComfyPromptError): EngineUnavailableError {
  const all = Object.values(error.nodeErrors).flatMap((node) =>
    node.errors.map((e) => ({ ...e, node: node.class_type })),
  );
  const describe =
    all.map((e) => `${e.node}.${e.extra_info?.input_name ?? "?"}: ${e.message}`).join("; ") || error.message;
  return new EngineUnavailableError(`ComfyUI refused the workflow (${error.type}): ${describe}`, { cause: error });
}

/**
 * An error ComfyUI raised while running: transient, whatever its text (out of memory, a CUDA
 * error, a shape mismatch from a corrupt cached file or another ComfyUI version). The message
 * says which, for the operator; the class never depends on it.
 */
export function fromExecutionError(entry: ComfyHistoryEntry): EngineUnavailableError {
  const failure = entry.status?.messages?.find(([kind]) => kind === "execution_error")?.[1] ?? {};
  const type = String(failure.exception_type ?? "");
  const message = String(failure.exception_message ?? "execution failed");
  const where = failure.node_type ? ` in ${failure.node_type}` : "";
  const oom = /OutOfMemory|out of memory/i.test(`${type} ${message}`);
  return new EngineUnavailableError(
    oom ? `ComfyUI ran out of memory${where}: ${message}` : `ComfyUI failed${where}: ${type} ${message}`.trim(),
  );
}

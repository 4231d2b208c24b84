/**
 * The two kinds of failure spec §6 distinguishes, decided by type, never by message text.
 * Engines and the model manager throw subclasses of these; anything else is treated as
 * transient, because reporting an error for the node's own trouble gets an honest node slashed.
 */

/** The task itself is certainly at fault: the node reports the error on chain. */
export class TaskFaultError extends Error {
  override readonly name: string = "TaskFaultError";
  constructor(
    /** Stable code, e.g. `TASK_ARGS_INVALID`, `MODEL_INVALID`, `ENGINE_REJECTED`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The node's own or a service's trouble (network, relay, RPC, engine crash, out of memory): retry until the deadline. */
export class TransientError extends Error {
  override readonly name: string = "TransientError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The step cannot proceed now and should be retried later without counting as a failure (e.g. args not uploaded yet). */
export class NotReadyError extends TransientError {
  override readonly name: string = "NotReadyError";
}

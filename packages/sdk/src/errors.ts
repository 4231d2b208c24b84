import type { AbortReason, TaskArgsViolation } from "@hydrogen/protocol";

/** Every code an SDK error carries; applications decide by `code` (and `retryable`), never by message. */
export type HydrogenErrorCode =
  | "SDK_INVALID_TASK_ARGS"
  | "SDK_TASK_ARGS_TOO_LARGE"
  | "SDK_NO_ACCOUNT"
  | "SDK_INSUFFICIENT_CNX"
  | "SDK_INSUFFICIENT_ALLOWANCE"
  | "SDK_PERMIT_REJECTED"
  | "SDK_WRONG_CHAIN"
  | "SDK_NOT_ENOUGH_NODES"
  | "SDK_CONTRACT_REVERTED"
  | "SDK_TASK_NOT_FOUND"
  | "SDK_TASK_ABORTED"
  | "SDK_IMAGE_MISMATCH"
  | "SDK_TASK_ARGS_MISMATCH"
  | "SDK_TIMEOUT";

/** The base of every SDK error: a stable code, a short message, whether trying again can help. */
export class HydrogenError extends Error {
  override name = "HydrogenError";
  constructor(
    readonly code: HydrogenErrorCode,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The arguments fail the task-arguments schema (spec §9); nothing was sent. */
export class InvalidTaskArgsError extends HydrogenError {
  override name = "InvalidTaskArgsError";
  constructor(readonly violations: TaskArgsViolation[]) {
    super(
      "SDK_INVALID_TASK_ARGS",
      `invalid task arguments: ${violations.map((v) => `${v.path || "(root)"} ${v.message}`).join("; ")}`,
    );
  }
}

/** The arguments are valid but larger than the relay takes: refused before anything is paid. */
export class TaskArgsTooLargeError extends HydrogenError {
  override name = "TaskArgsTooLargeError";
  constructor(
    readonly bytes: number,
    readonly limit: number,
    readonly relayUrl: string,
    /** The field that weighs most, and its size in bytes. */
    readonly largestField: { path: string; bytes: number },
  ) {
    super(
      "SDK_TASK_ARGS_TOO_LARGE",
      `the task arguments are ${bytes} bytes; the relay ${relayUrl} takes at most ${limit} (GET /v1/limits); the largest field is ${largestField.path} (${largestField.bytes} bytes)`,
    );
  }
}

/** The client has no wallet account, and the action signs or sends. */
export class NoAccountError extends HydrogenError {
  override name = "NoAccountError";
  constructor(action: string) {
    super("SDK_NO_ACCOUNT", `${action} needs a wallet client with an account`);
  }
}

/** The creator holds less CNX than the task fee. */
export class InsufficientCnxError extends HydrogenError {
  override name = "InsufficientCnxError";
  constructor(
    readonly balance: bigint,
    readonly required: bigint,
  ) {
    super("SDK_INSUFFICIENT_CNX", `not enough CNX: the task costs ${required} wei, the account holds ${balance}`);
  }
}

/** The TaskManager may spend less of the creator's CNX than the fee (approve it, or use a permit). */
export class InsufficientAllowanceError extends HydrogenError {
  override name = "InsufficientAllowanceError";
  constructor(
    readonly allowance: bigint,
    readonly required: bigint,
  ) {
    super("SDK_INSUFFICIENT_ALLOWANCE", `not enough CNX allowance: ${allowance} wei approved, ${required} needed`);
  }
}

/**
 * The CNX permit signed for the fee was not accepted, so the fee could not be taken: its nonce
 * had been used by another transaction of the account, it expired, or the token refused the
 * signature (a wallet that signs for another chain or token).
 */
export class PermitRejectedError extends HydrogenError {
  override name = "PermitRejectedError";
  constructor(
    readonly reason: "nonce_used" | "expired" | "refused",
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      "SDK_PERMIT_REJECTED",
      `the CNX permit for the fee was not accepted: ${detail}`,
      reason !== "refused",
      options,
    );
  }
}

/** The RPC or the wallet is on another chain than the deployment's; nothing was sent. */
export class WrongChainError extends HydrogenError {
  override name = "WrongChainError";
  constructor(
    readonly where: "rpc" | "wallet",
    readonly actual: number,
    readonly expected: number,
  ) {
    super(
      "SDK_WRONG_CHAIN",
      where === "rpc"
        ? `the RPC serves chain ${actual}, but the deployment is for chain ${expected}`
        : `the wallet is on chain ${actual}: switch it to chain ${expected}, the deployment's`,
    );
  }
}

/** Fewer than 3 nodes are available; trying later can succeed. */
export class NotEnoughNodesError extends HydrogenError {
  override name = "NotEnoughNodesError";
  constructor(
    readonly available: bigint,
    readonly required: bigint,
  ) {
    super("SDK_NOT_ENOUGH_NODES", `not enough available nodes: ${available} of ${required}`, true);
  }
}

/** Any other contract revert, decoded into its custom error's name and arguments. */
export class ContractRevertedError extends HydrogenError {
  override name = "ContractRevertedError";
  constructor(
    readonly functionName: string,
    readonly errorName: string,
    readonly args: readonly unknown[],
    options?: { cause?: unknown },
  ) {
    super("SDK_CONTRACT_REVERTED", `${functionName} reverted with ${errorName}(${args.join(", ")})`, false, options);
  }
}

/** The chain has no such task (never created, or on another deployment). */
export class TaskNotFoundError extends HydrogenError {
  override name = "TaskNotFoundError";
  constructor(readonly taskId: bigint) {
    super("SDK_TASK_NOT_FOUND", `task ${taskId} does not exist on this deployment`);
  }
}

/** Why a task was aborted (the contract's `AbortReason`). */
export type { AbortReason };

/** The task ended without a result; the contract refunded what the rules say. */
export class TaskAbortedError extends HydrogenError {
  override name = "TaskAbortedError";
  constructor(
    readonly taskId: bigint,
    readonly reason: AbortReason,
  ) {
    super("SDK_TASK_ABORTED", `task ${taskId} was aborted: ${reason}`);
  }
}

/** A downloaded image's pHash is too far from the on-chain result: the relay served something else. */
export class ImageMismatchError extends HydrogenError {
  override name = "ImageMismatchError";
  constructor(
    readonly taskId: bigint,
    readonly index: number,
    readonly distance: number,
    readonly threshold: number,
  ) {
    super(
      "SDK_IMAGE_MISMATCH",
      `image ${index} of task ${taskId} is ${distance} bits from its on-chain hash (threshold ${threshold})`,
    );
  }
}

/** A wait ran out of time; the task may still finish. */
export class TimeoutError extends HydrogenError {
  override name = "TimeoutError";
  constructor(what: string, timeoutMs: number) {
    super("SDK_TIMEOUT", `timed out after ${timeoutMs} ms waiting for ${what}`, true);
  }
}

import { DeployError } from "@hydrogen/deploy";
import { RelayError, RelayUnreachableError } from "@hydrogen/protocol";
import {
  ContractRevertedError,
  HydrogenError,
  ImageMismatchError,
  InsufficientAllowanceError,
  InsufficientCnxError,
  InvalidTaskArgsError,
  NotEnoughNodesError,
  TaskAbortedError,
  TaskArgsTooLargeError,
  TaskNotFoundError,
  TimeoutError,
  WrongChainError,
} from "@hydrogen/sdk";

/** What the `hydrogen` command's exit codes mean (docs/cli.md has the table). */
export const EXIT = {
  ok: 0,
  /** A bug or an unexpected failure. */
  failure: 1,
  /** Bad usage, configuration or input (fix the command). */
  usage: 2,
  /** The task was aborted on chain (cancelled, error reports, disagreement). */
  aborted: 3,
  /** A downloaded image does not match its on-chain hash. */
  verification: 4,
  /** The chain refused: not enough CNX, allowance or available nodes; a cancel before the deadline. */
  refused: 5,
  /** The chain, the relay or a node could not be reached, or a wait timed out. */
  unavailable: 6,
} as const;

/** An error the command reports as one line and a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

/** The exit code an error means. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  // Refused before anything was sent (fix the command), or a deployment step the chain refused.
  if (error instanceof DeployError) return /^nothing was deployed/.test(error.message) ? EXIT.usage : EXIT.refused;
  if (
    error instanceof InvalidTaskArgsError ||
    error instanceof TaskArgsTooLargeError ||
    error instanceof TaskNotFoundError ||
    error instanceof WrongChainError
  ) {
    return EXIT.usage;
  }
  if (error instanceof TaskAbortedError) return EXIT.aborted;
  if (error instanceof ImageMismatchError) return EXIT.verification;
  if (
    error instanceof InsufficientCnxError ||
    error instanceof InsufficientAllowanceError ||
    error instanceof NotEnoughNodesError ||
    error instanceof ContractRevertedError
  ) {
    return EXIT.refused;
  }
  if (error instanceof TimeoutError || error instanceof RelayUnreachableError) return EXIT.unavailable;
  if (error instanceof RelayError) return error.retryable ? EXIT.unavailable : EXIT.failure;
  if (error instanceof HydrogenError) return EXIT.failure;
  if (isConnectionRefused(error)) return EXIT.unavailable;
  return EXIT.failure;
}

function isConnectionRefused(error: unknown): boolean {
  for (let e = error as { cause?: unknown; code?: string; message?: string } | undefined; e; e = e.cause as never) {
    if (e.code === "ECONNREFUSED" || /fetch failed|ECONNREFUSED|HTTP request failed/.test(e.message ?? "")) return true;
  }
  return false;
}

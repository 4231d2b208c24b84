import type { Hash, Hex } from "viem";

/**
 * Where a task stands in this node's own store. Each phase carries what the next step needs;
 * `executed` and later keep the result and the salt, written before the commitment is sent,
 * so a node that restarts can always disclose what it committed (spec §6.4).
 */
export type TaskState =
  /** Selected by TaskCreated; the arguments are not fetched yet. */
  | { phase: "assigned" }
  /** The arguments matched the task hash and the schema (they are stored with the task). */
  | { phase: "fetched" }
  /** The task is certainly at fault (spec §6): an error report is owed. */
  | { phase: "faulted"; code: string; reason: string }
  /** Result, salt and images are stored: safe to commit. */
  | { phase: "executed"; result: Hex; salt: Hex; images: number }
  | { phase: "committed"; result: Hex; salt: Hex; images: number; tx?: Hash }
  | { phase: "errorReported"; code: string; reason: string; tx?: Hash }
  | { phase: "disclosed"; result: Hex; salt: Hex; images: number; tx?: Hash }
  /** This node is the result node and the relay has the images; reportResultsUploaded is owed. */
  | { phase: "uploaded"; result: Hex; images: number }
  | { phase: "reported"; tx?: Hash }
  /** Nothing more to do: paid, slashed, refunded, cancelled or aborted (see the task's chain facts). */
  | {
      phase: "settled";
      from: Phase;
      error?: { code: string; reason: string };
      /** The state it was settled from: a reorganisation that undoes the end reopens the task there. */
      previous?: Exclude<TaskState, { phase: "settled" }>;
    };

export type Phase = TaskState["phase"];
export type StateOf<P extends Phase> = Extract<TaskState, { phase: P }>;

/** A transition was asked of a task in a phase it does not leave that way (a bug, never a chain event). */
export class InvalidTransitionError extends Error {
  override readonly name = "InvalidTransitionError";
  constructor(
    readonly transition: string,
    readonly from: Phase,
  ) {
    super(`cannot ${transition} a task in phase ${from}`);
  }
}

function expect<P extends Phase>(state: TaskState, transition: string, ...from: P[]): StateOf<P> {
  if (!(from as Phase[]).includes(state.phase)) throw new InvalidTransitionError(transition, state.phase);
  return state as StateOf<P>;
}

/** The guarded transitions of a task; each returns the next state and never does I/O. */
export const transitions = {
  /** assigned -> fetched */
  argsVerified(state: TaskState): StateOf<"fetched"> {
    expect(state, "verify arguments of", "assigned");
    return { phase: "fetched" };
  },
  /** assigned | fetched -> faulted */
  faulted(state: TaskState, code: string, reason: string): StateOf<"faulted"> {
    expect(state, "fault", "assigned", "fetched");
    return { phase: "faulted", code, reason };
  },
  /** fetched -> executed */
  executed(state: TaskState, result: Hex, salt: Hex, images: number): StateOf<"executed"> {
    expect(state, "execute", "fetched");
    return { phase: "executed", result, salt, images };
  },
  /** executed -> committed (also adopts a commitment found on chain after a crash) */
  committed(state: TaskState, tx?: Hash): StateOf<"committed"> {
    const { result, salt, images } = expect(state, "commit", "executed");
    return { phase: "committed", result, salt, images, tx };
  },
  /** faulted -> errorReported */
  errorReported(state: TaskState, tx?: Hash): StateOf<"errorReported"> {
    const { code, reason } = expect(state, "report the error of", "faulted");
    return { phase: "errorReported", code, reason, tx };
  },
  /** executed | committed -> disclosed */
  disclosed(state: TaskState, tx?: Hash): StateOf<"disclosed"> {
    const { result, salt, images } = expect(state, "disclose", "executed", "committed");
    return { phase: "disclosed", result, salt, images, tx };
  },
  /** disclosed -> uploaded */
  uploaded(state: TaskState): StateOf<"uploaded"> {
    const { result, images } = expect(state, "upload", "disclosed");
    return { phase: "uploaded", result, images };
  },
  /** uploaded -> reported */
  reported(state: TaskState, tx?: Hash): StateOf<"reported"> {
    expect(state, "report the upload of", "uploaded");
    return { phase: "reported", tx };
  },
  /** any but settled -> settled */
  settled(state: TaskState): StateOf<"settled"> {
    if (state.phase === "settled") throw new InvalidTransitionError("settle", state.phase);
    const error =
      state.phase === "faulted" || state.phase === "errorReported"
        ? { code: state.code, reason: state.reason }
        : undefined;
    return { phase: "settled", from: state.phase, error, previous: state };
  },
} as const;

/** The task's fault, once found: kept from `faulted` through `settled`. */
export function taskError(state: TaskState): { code: string; reason: string } | undefined {
  if (state.phase === "faulted" || state.phase === "errorReported") return { code: state.code, reason: state.reason };
  return state.phase === "settled" ? state.error : undefined;
}

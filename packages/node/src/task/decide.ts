import { ChainTaskPhaseValue, RoundStateValue } from "@hydrogen/protocol";
import type { TaskState } from "./state.ts";

/** What the chain says about the task and this node's round, read at one block. */
export interface ChainView {
  block: bigint;
  /** That block's timestamp: deadlines are judged by chain time, never the local clock. */
  time: bigint;
  phase: number;
  /** This node's round state. */
  round: number;
  /** Meaningful from Success on. */
  resultRound: number;
  myRound: number;
  deadline: bigint;
}

/** The one next step for a task. */
export type Action =
  | { kind: "fetch" }
  | { kind: "execute" }
  | { kind: "reportError" }
  | { kind: "commit" }
  | { kind: "disclose" }
  | { kind: "upload" }
  | { kind: "reportUploaded" }
  | { kind: "cancel" }
  /** The chain is ahead of the store (the node crashed after a transaction was mined): record it. */
  | { kind: "adopt"; as: "committed" | "errorReported" | "disclosed" }
  | { kind: "settle" }
  /** Nothing to do until an event, or until the chain's clock passes `deadline`. */
  | { kind: "wait"; reason: string };

/**
 * Decides the next step from the store's state and the chain's view (spec §4–§6). The chain
 * is the truth for what has happened; the store holds what only this node knows (the args,
 * result, salt and images). Pure, so every rule is unit-tested.
 */
export function decide(state: TaskState, view: ChainView): Action {
  if (state.phase === "settled") return { kind: "wait", reason: "settled" };
  if (view.phase === ChainTaskPhaseValue.None || view.round === RoundStateValue.Settled) return { kind: "settle" };
  const late = view.time > view.deadline;
  const waitOrCancel = (reason: string): Action => (late ? { kind: "cancel" } : { kind: "wait", reason });

  switch (view.round) {
    case RoundStateValue.Pending:
      return pendingRound(state, view, late, waitOrCancel);
    case RoundStateValue.Committed:
      if (state.phase === "executed") return { kind: "adopt", as: "committed" };
      if (view.phase === ChainTaskPhaseValue.CommitmentsReady || view.phase === ChainTaskPhaseValue.Success) {
        // Disclose even after the deadline: until someone cancels, it earns the fee. A stored
        // "disclosed" with a committed round: a reorg removed the disclosure; send it again.
        return state.phase === "committed" || state.phase === "disclosed"
          ? { kind: "disclose" }
          : waitOrCancel("commitment without a stored salt");
      }
      return waitOrCancel("waiting for the other commitments");
    case RoundStateValue.ErrorReported:
      if (state.phase === "faulted") return { kind: "adopt", as: "errorReported" };
      return waitOrCancel("error reported; waiting for the others");
    case RoundStateValue.Disclosed:
      if (state.phase === "executed" || state.phase === "committed") return { kind: "adopt", as: "disclosed" };
      if (view.phase === ChainTaskPhaseValue.Success && view.resultRound === view.myRound) {
        if (state.phase === "disclosed") return { kind: "upload" };
        // "reported" with the round still disclosed: a reorg removed the report; send it again.
        if (state.phase === "uploaded" || state.phase === "reported") return { kind: "reportUploaded" };
      }
      return waitOrCancel("disclosed; waiting for the outcome");
    default:
      return { kind: "wait", reason: `unknown round state ${view.round}` };
  }
}

function pendingRound(
  state: TaskState,
  view: ChainView,
  late: boolean,
  waitOrCancel: (reason: string) => Action,
): Action {
  if (view.phase === ChainTaskPhaseValue.Created) {
    switch (state.phase) {
      case "faulted":
        return { kind: "reportError" };
      // A reorg removed what was mined (the commitment, the disclosure, the error report): send it again.
      case "errorReported":
        return { kind: "reportError" };
      case "executed":
      case "committed":
      case "disclosed":
        return { kind: "commit" };
      case "assigned":
        return late ? { kind: "cancel" } : { kind: "fetch" };
      case "fetched":
        return late ? { kind: "cancel" } : { kind: "execute" };
      default:
        return waitOrCancel(`store phase ${state.phase} with a pending round`);
    }
  }
  // After 2 error reports the 3rd node may still report the error and be paid (spec §4).
  if (view.phase === ChainTaskPhaseValue.Aborted && (state.phase === "faulted" || state.phase === "errorReported"))
    return { kind: "reportError" };
  if (
    view.phase === ChainTaskPhaseValue.Aborted &&
    !late &&
    (state.phase === "assigned" || state.phase === "fetched")
  ) {
    // Keep working out whether the task is broken: an error report is still paid.
    return state.phase === "assigned" ? { kind: "fetch" } : { kind: "execute" };
  }
  return waitOrCancel("the others decided without this node");
}

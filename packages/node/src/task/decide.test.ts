import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChainTaskPhaseValue as P, RoundStateValue as R } from "@hydrogen/protocol";
import type { Hex } from "viem";
import { type ChainView, decide } from "./decide.ts";
import type { TaskState } from "./state.ts";

const result = "0x0102030405060708" as Hex;
const salt = `0x${"11".repeat(32)}` as Hex;
const S = {
  assigned: { phase: "assigned" },
  fetched: { phase: "fetched" },
  faulted: { phase: "faulted", code: "TASK_ARGS_INVALID", reason: "bad" },
  executed: { phase: "executed", result, salt, images: 1 },
  committed: { phase: "committed", result, salt, images: 1 },
  errorReported: { phase: "errorReported", code: "TASK_ARGS_INVALID", reason: "bad" },
  disclosed: { phase: "disclosed", result, salt, images: 1 },
  uploaded: { phase: "uploaded", result, images: 1 },
  reported: { phase: "reported" },
  settled: { phase: "settled", from: "reported" },
} satisfies Record<string, TaskState>;

function view(phase: number, round: number, options: Partial<ChainView> = {}): ChainView {
  return { block: 10n, time: 1000n, phase, round, resultRound: 0, myRound: 0, deadline: 2000n, ...options };
}
const late = { time: 2001n };

describe("decide: the next step from the store and the chain", () => {
  it("a task deleted on chain, or this node's round settled, is settled", () => {
    assert.equal(decide(S.assigned, view(P.None, R.Pending)).kind, "settle");
    assert.equal(decide(S.disclosed, view(P.Success, R.Settled)).kind, "settle");
    assert.equal(decide(S.settled, view(P.None, R.Pending)).kind, "wait");
  });

  it("a new task is fetched, then executed, then committed", () => {
    assert.equal(decide(S.assigned, view(P.Created, R.Pending)).kind, "fetch");
    assert.equal(decide(S.fetched, view(P.Created, R.Pending)).kind, "execute");
    assert.equal(decide(S.executed, view(P.Created, R.Pending)).kind, "commit");
  });

  it("a task at fault is reported, also after the others aborted it (the report is still paid)", () => {
    assert.equal(decide(S.faulted, view(P.Created, R.Pending)).kind, "reportError");
    assert.equal(decide(S.faulted, view(P.Aborted, R.Pending)).kind, "reportError");
    assert.equal(decide(S.assigned, view(P.Aborted, R.Pending)).kind, "fetch");
  });

  it("work not started by the deadline is cancelled; a ready result is still committed", () => {
    assert.equal(decide(S.assigned, view(P.Created, R.Pending, late)).kind, "cancel");
    assert.equal(decide(S.fetched, view(P.Created, R.Pending, late)).kind, "cancel");
    assert.equal(decide(S.executed, view(P.Created, R.Pending, late)).kind, "commit");
    assert.equal(decide(S.assigned, view(P.Aborted, R.Pending, late)).kind, "cancel");
  });

  it("after committing, waits for the others, then discloses; cancels if they never come", () => {
    assert.equal(decide(S.committed, view(P.Created, R.Committed)).kind, "wait");
    assert.equal(decide(S.committed, view(P.Created, R.Committed, late)).kind, "cancel");
    assert.equal(decide(S.committed, view(P.CommitmentsReady, R.Committed)).kind, "disclose");
    assert.equal(decide(S.committed, view(P.CommitmentsReady, R.Committed, late)).kind, "disclose");
    assert.equal(decide(S.committed, view(P.Success, R.Committed)).kind, "disclose");
  });

  it("adopts what the chain shows after a crash between a mined transaction and the store", () => {
    assert.deepEqual(decide(S.executed, view(P.Created, R.Committed)), { kind: "adopt", as: "committed" });
    assert.deepEqual(decide(S.faulted, view(P.Created, R.ErrorReported)), { kind: "adopt", as: "errorReported" });
    assert.deepEqual(decide(S.committed, view(P.Success, R.Disclosed)), { kind: "adopt", as: "disclosed" });
    assert.deepEqual(decide(S.executed, view(P.CommitmentsReady, R.Disclosed)), { kind: "adopt", as: "disclosed" });
  });

  it("a transaction a reorg removed is sent again: commitment, disclosure, error report, upload report", () => {
    assert.equal(decide(S.committed, view(P.Created, R.Pending)).kind, "commit");
    assert.equal(decide(S.disclosed, view(P.Created, R.Pending)).kind, "commit");
    assert.equal(decide(S.disclosed, view(P.CommitmentsReady, R.Committed)).kind, "disclose");
    assert.equal(decide(S.disclosed, view(P.Success, R.Committed)).kind, "disclose");
    assert.equal(decide(S.errorReported, view(P.Created, R.Pending)).kind, "reportError");
    assert.equal(decide(S.reported, view(P.Success, R.Disclosed, { resultRound: 0 })).kind, "reportUploaded");
    assert.equal(decide(S.reported, view(P.Success, R.Disclosed, { resultRound: 1 })).kind, "wait");
  });

  it("the result node uploads, then reports; other disclosers wait for their payment", () => {
    assert.equal(decide(S.disclosed, view(P.Success, R.Disclosed, { resultRound: 0 })).kind, "upload");
    assert.equal(decide(S.uploaded, view(P.Success, R.Disclosed, { resultRound: 0 })).kind, "reportUploaded");
    assert.equal(decide(S.uploaded, view(P.Success, R.Disclosed, { resultRound: 0, ...late })).kind, "reportUploaded");
    assert.equal(decide(S.disclosed, view(P.Success, R.Disclosed, { resultRound: 1 })).kind, "wait");
    assert.equal(decide(S.disclosed, view(P.CommitmentsReady, R.Disclosed)).kind, "wait");
  });

  it("a commitment without a stored salt (a lost data dir) can only wait for the deadline and cancel", () => {
    assert.equal(decide(S.assigned, view(P.CommitmentsReady, R.Committed)).kind, "wait");
    assert.equal(decide(S.assigned, view(P.CommitmentsReady, R.Committed, late)).kind, "cancel");
  });

  it("an error reporter waits for the outcome and cancels after the deadline", () => {
    assert.equal(decide(S.errorReported, view(P.Created, R.ErrorReported)).kind, "wait");
    assert.equal(decide(S.errorReported, view(P.Created, R.ErrorReported, late)).kind, "cancel");
  });

  it("a node the others decided without (success with its round pending) waits, then cancels", () => {
    assert.equal(decide(S.fetched, view(P.Success, R.Pending)).kind, "wait");
    assert.equal(decide(S.fetched, view(P.Success, R.Pending, late)).kind, "cancel");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Hex } from "viem";
import { InvalidTransitionError, type TaskState, transitions } from "./state.ts";

const result = "0x0102030405060708" as Hex;
const salt = `0x${"22".repeat(32)}` as Hex;

describe("task state transitions", () => {
  it("walks the whole honest flow, carrying the result and salt from execution to disclosure", () => {
    let state: TaskState = { phase: "assigned" };
    state = transitions.argsVerified(state);
    state = transitions.executed(state, result, salt, 1);
    state = transitions.committed(state, "0xaa");
    assert.deepEqual(state, { phase: "committed", result, salt, images: 1, tx: "0xaa" });
    state = transitions.disclosed(state, "0xbb");
    assert.equal(state.salt, salt);
    state = transitions.uploaded(state);
    state = transitions.reported(state, "0xcc");
    state = transitions.settled(state);
    assert.deepEqual(state, {
      phase: "settled",
      from: "reported",
      error: undefined,
      previous: { phase: "reported", tx: "0xcc" },
    });
  });

  it("walks the error flow and keeps the error on the settled task", () => {
    let state: TaskState = transitions.faulted({ phase: "fetched" }, "ENGINE_REJECTED", "SDXL LoRA on SD 1.5");
    state = transitions.errorReported(state, "0xdd");
    const settled = transitions.settled(state);
    assert.deepEqual(settled.error, { code: "ENGINE_REJECTED", reason: "SDXL LoRA on SD 1.5" });
  });

  it("refuses transitions from the wrong phase with a typed error", () => {
    const cases: [string, () => unknown][] = [
      ["commit before execution", () => transitions.committed({ phase: "fetched" })],
      ["execute twice", () => transitions.executed({ phase: "executed", result, salt, images: 1 }, result, salt, 1)],
      ["fault after committing", () => transitions.faulted({ phase: "committed", result, salt, images: 1 }, "X", "x")],
      ["upload before disclosing", () => transitions.uploaded({ phase: "committed", result, salt, images: 1 })],
      ["report an error never found", () => transitions.errorReported({ phase: "fetched" })],
      ["settle twice", () => transitions.settled({ phase: "settled", from: "reported" })],
    ];
    for (const [name, transition] of cases) {
      assert.throws(transition, InvalidTransitionError, name);
    }
  });
});

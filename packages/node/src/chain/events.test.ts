import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { taskManagerAbi } from "@hydrogen/protocol";
import { type Address, encodeAbiParameters, encodeEventTopics, type Hex, type Log, zeroHash } from "viem";
import { NodeStore } from "../store/store.ts";
import { applyBatch } from "./events.ts";

const ME: Address = "0x00000000000000000000000000000000000000aa";
const OTHER: Address = "0x00000000000000000000000000000000000000bb";
const TM: Address = "0x00000000000000000000000000000000000000cc";

function log(index: number, topics: readonly unknown[], data: Hex): Log {
  return {
    address: TM,
    topics: topics as [Hex, ...Hex[]],
    data,
    blockNumber: 10n,
    logIndex: index,
    blockHash: zeroHash,
    transactionHash: zeroHash,
    transactionIndex: 0,
    removed: false,
  };
}

const created = (index: number, taskId: bigint, node: Address, round: number) =>
  log(
    index,
    encodeEventTopics({
      abi: taskManagerAbi,
      eventName: "TaskCreated",
      args: { taskId, creator: OTHER, selectedNode: node },
    }),
    encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }, { type: "uint8" }], [zeroHash, zeroHash, round]),
  );

describe("applyBatch", () => {
  it("applies the events of a task created for this node in the same batch, and ignores other nodes' tasks", () => {
    const store = new NodeStore(":memory:");
    const aborted = log(
      4,
      encodeEventTopics({ abi: taskManagerAbi, eventName: "TaskAborted", args: { taskId: 1n } }),
      encodeAbiParameters([{ type: "uint8" }], [1]),
    );
    const applied = applyBatch(store, ME, {
      fromBlock: 10n,
      toBlock: 10n,
      logs: [
        created(0, 1n, OTHER, 0),
        created(1, 1n, ME, 1),
        created(2, 1n, OTHER, 2),
        created(3, 2n, OTHER, 0),
        aborted,
      ],
    });
    assert.deepEqual(applied.assigned, [1n]);
    assert.equal(store.task(1n)?.round, 1);
    assert.equal(store.task(1n)?.abortReason, "ErrorReported");
    assert.equal(store.hasTask(2n), false);
    assert.equal(store.cursor(), 10n);
  });

  it("a batch with nothing for this node only moves the cursor", () => {
    const store = new NodeStore(":memory:");
    const applied = applyBatch(store, ME, { fromBlock: 10n, toBlock: 12n, logs: [created(0, 5n, OTHER, 0)] });
    assert.deepEqual(applied.assigned, []);
    assert.equal(store.hasTask(5n), false);
    assert.equal(store.cursor(), 12n);
  });
});

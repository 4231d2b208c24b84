import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { taskManagerAbi } from "@hydrogen/protocol";
import { type Address, encodeAbiParameters, encodeEventTopics, type Hex, type Log, pad, toHex, zeroHash } from "viem";
import { NodeStore, outcomeOf, type TaskRecord } from "../store/store.ts";
import { transitions } from "../task/state.ts";
import { applyBatch } from "./events.ts";

const ME: Address = "0x00000000000000000000000000000000000000aa";
const OTHER: Address = "0x00000000000000000000000000000000000000bb";
const TM: Address = "0x00000000000000000000000000000000000000cc";

function log(index: number, topics: readonly unknown[], data: Hex, block = 10n): Log {
  return {
    address: TM,
    topics: topics as [Hex, ...Hex[]],
    data,
    blockNumber: block,
    logIndex: index,
    blockHash: zeroHash,
    transactionHash: zeroHash,
    transactionIndex: 0,
    removed: false,
  };
}

const created = (index: number, taskId: bigint, node: Address, round: number, block = 10n, hash: Hex = zeroHash) =>
  log(
    index,
    encodeEventTopics({
      abi: taskManagerAbi,
      eventName: "TaskCreated",
      args: { taskId, creator: OTHER, selectedNode: node },
    }),
    encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }, { type: "uint8" }], [hash, zeroHash, round]),
    block,
  );

const batch = (fromBlock: bigint, toBlock: bigint, logs: Log[]) => ({
  fromBlock,
  toBlock,
  logs,
  blocks: [{ number: toBlock, hash: pad(toHex(toBlock)) }],
  forgetBelow: toBlock - 256n,
});

const paid = (taskId: bigint, block: bigint) =>
  log(
    9,
    encodeEventTopics({ abi: taskManagerAbi, eventName: "NodePaid", args: { taskId, node: ME } }),
    encodeAbiParameters([{ type: "uint256" }], [7n]),
    block,
  );

describe("applyBatch", () => {
  it("applies the events of a task created for this node in the same batch, and ignores other nodes' tasks", () => {
    const store = new NodeStore(":memory:");
    const aborted = log(
      4,
      encodeEventTopics({ abi: taskManagerAbi, eventName: "TaskAborted", args: { taskId: 1n } }),
      encodeAbiParameters([{ type: "uint8" }], [1]),
    );
    const applied = applyBatch(
      store,
      ME,
      batch(10n, 10n, [
        created(0, 1n, OTHER, 0),
        created(1, 1n, ME, 1),
        created(2, 1n, OTHER, 2),
        created(3, 2n, OTHER, 0),
        aborted,
      ]),
    );
    assert.deepEqual(applied.assigned, [1n]);
    assert.equal(store.task(1n)?.round, 1);
    assert.equal(store.task(1n)?.abortReason, "ErrorReported");
    assert.equal(store.hasTask(2n), false);
    assert.equal(store.cursor(), 10n);
  });

  it("a batch with nothing for this node only moves the cursor", () => {
    const store = new NodeStore(":memory:");
    const applied = applyBatch(store, ME, batch(10n, 12n, [created(0, 5n, OTHER, 0)]));
    assert.deepEqual(applied.assigned, []);
    assert.equal(store.hasTask(5n), false);
    assert.equal(store.cursor(), 12n);
  });

  it("keeps the applied blocks' hashes with the cursor, across a restart", () => {
    const file = join(mkdtempSync(join(tmpdir(), "node-store-")), "node.db");
    const store = new NodeStore(file);
    applyBatch(store, ME, batch(10n, 10n, [created(1, 1n, ME, 0)]));
    applyBatch(store, ME, batch(11n, 11n, [])); // in memory only until the next write, or the close
    const crashed = new NodeStore(file);
    assert.equal(crashed.cursor(), 10n, "a crash now replays block 11");
    assert.deepEqual(
      crashed.blocks().map((ref) => ref.number),
      [10n],
      "with the hashes that belong to that cursor",
    );
    crashed.db.close();
    store.close();
    const reopened = new NodeStore(file);
    assert.equal(reopened.cursor(), 11n);
    assert.deepEqual(
      reopened.blocks().map((ref) => ref.number),
      [10n, 11n],
    );
    reopened.close();
  });

  it("a rollback orphans the tasks created after the ancestor and clears their later facts; the same task created again goes on", () => {
    const store = new NodeStore(":memory:");
    applyBatch(store, ME, batch(10n, 10n, [created(1, 1n, ME, 0)]));
    store.saveState(1n, { phase: "executed", result: zeroHash, salt: zeroHash } as never, {
      images: [new Uint8Array([1, 2, 3])],
    });
    applyBatch(store, ME, batch(11n, 11n, [paid(1n, 11n)]));
    assert.equal(store.task(1n)?.paidWei, 7n);

    assert.deepEqual(store.rollback(9n), [1n]);
    assert.equal(store.cursor(), 9n);
    assert.deepEqual(store.blocks(), []);
    const orphan = store.task(1n);
    assert.equal(orphan?.orphanedAt, 9n);
    assert.equal(orphan?.paidWei, 0n, "the payment's block is gone");
    assert.equal(orphan?.state.phase, "executed", "the salt and images stay for the same task");

    const again = applyBatch(store, ME, batch(10n, 12n, [created(1, 1n, ME, 0, 12n)]));
    assert.deepEqual(again.assigned, [1n], "its worker looks again");
    assert.equal(store.task(1n)?.orphanedAt, undefined);
    assert.equal(store.task(1n)?.createdBlock, 12n);
    assert.equal(store.task(1n)?.state.phase, "executed");
    assert.equal(store.images(1n).length, 1);
  });

  it("an orphan whose id another task took starts over, and a step of the old task cannot write over it", () => {
    const store = new NodeStore(":memory:");
    applyBatch(store, ME, batch(10n, 10n, [created(1, 1n, ME, 0)]));
    store.saveState(1n, { phase: "executed", result: zeroHash, salt: zeroHash } as never, {
      images: [new Uint8Array([1])],
    });
    store.rollback(9n);
    const other = pad("0x01");
    applyBatch(store, ME, batch(10n, 12n, [created(1, 1n, ME, 2, 12n, other)]));
    const task = store.task(1n);
    assert.equal(task?.taskHash, other);
    assert.equal(task?.round, 2);
    assert.equal(task?.state.phase, "assigned");
    assert.equal(store.images(1n).length, 0);
    assert.throws(
      () => store.saveState(1n, { phase: "committed" } as never, { taskHash: zeroHash }),
      (error: Error) => error.name === "TaskReplacedError",
    );
    assert.equal(store.task(1n)?.state.phase, "assigned");
  });

  it("a task created before the ancestor is untouched by a rollback, and a given-up orphan is forgotten", () => {
    const store = new NodeStore(":memory:");
    applyBatch(store, ME, batch(10n, 10n, [created(1, 1n, ME, 0)]));
    applyBatch(store, ME, batch(11n, 11n, [created(2, 2n, ME, 0, 11n)]));
    assert.deepEqual(store.rollback(10n), [2n]);
    assert.equal(store.task(1n)?.orphanedAt, undefined);
    store.forgetOrphan(1n);
    assert.ok(store.hasTask(1n), "only orphans are forgotten");
    store.forgetOrphan(2n);
    assert.equal(store.hasTask(2n), false);
  });

  it("a rollback of a settled task's payment reopens it where it was, keeping the facts from before the ancestor", () => {
    const store = new NodeStore(":memory:");
    const success = log(
      5,
      encodeEventTopics({ abi: taskManagerAbi, eventName: "TaskSuccess", args: { taskId: 1n, resultNode: ME } }),
      encodeAbiParameters([{ type: "bytes" }], ["0x00"]),
      11n,
    );
    applyBatch(store, ME, batch(10n, 11n, [created(1, 1n, ME, 0), success]));
    const disclosed = { phase: "disclosed", result: zeroHash, salt: zeroHash, images: 1 } as const;
    store.saveState(1n, disclosed);
    applyBatch(store, ME, batch(12n, 12n, [paid(1n, 12n)]));
    store.saveState(1n, transitions.settled(disclosed));
    assert.equal(outcomeOf(store.task(1n) as TaskRecord), "paid");

    assert.deepEqual(store.rollback(11n), [1n]);
    const reopened = store.task(1n);
    assert.deepEqual(reopened?.state, disclosed, "open again, in the state it settled from");
    assert.equal(reopened?.paidWei, 0n, "the payment's block is gone");
    assert.equal(reopened?.resultNode?.toLowerCase(), ME, "the success before the ancestor stays");
    assert.equal(store.openTasks().length, 1);
  });

  it("a rollback of a settled task's creation forgets it: selected again, it starts over", () => {
    const store = new NodeStore(":memory:");
    applyBatch(store, ME, batch(10n, 10n, [created(1, 1n, ME, 0)]));
    store.saveState(1n, transitions.settled({ phase: "assigned" }));
    assert.deepEqual(store.rollback(9n), [1n]);
    assert.equal(store.hasTask(1n), false);
    assert.deepEqual(applyBatch(store, ME, batch(10n, 11n, [created(1, 1n, ME, 0, 11n)])).assigned, [1n]);
    assert.equal(store.task(1n)?.state.phase, "assigned");
  });
});

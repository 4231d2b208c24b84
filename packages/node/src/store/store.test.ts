import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Address, Hex } from "viem";
import { transitions } from "../task/state.ts";
import { NodeStore, outcomeOf, StoreIdentityError } from "./store.ts";

const creator = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Address;
const taskHash = `0x${"ab".repeat(32)}` as Hex;
const result = "0x0102030405060708" as Hex;
const salt = `0x${"33".repeat(32)}` as Hex;

function freshStore() {
  return new NodeStore(join(mkdtempSync(join(tmpdir(), "node-store-")), "node.db"));
}

describe("node store", () => {
  it("records a selection once; a replayed TaskCreated is a no-op", () => {
    const store = freshStore();
    const task = { taskId: 7n, round: 2, taskHash, creator, createdBlock: 5n };
    assert.equal(store.insertTask(task), true);
    assert.equal(store.insertTask(task), false);
    assert.equal(store.openTasks().length, 1);
    assert.deepEqual(store.task(7n)?.state, { phase: "assigned" });
  });

  it("persists result, salt and images together, and they survive reopening", () => {
    const dir = mkdtempSync(join(tmpdir(), "node-store-"));
    const store = new NodeStore(join(dir, "node.db"));
    store.insertTask({ taskId: 1n, round: 0, taskHash, creator, createdBlock: 1n });
    store.saveState(1n, { phase: "fetched" }, { args: "{}" });
    const images = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    store.saveState(1n, transitions.executed({ phase: "fetched" }, result, salt, 2), { images });
    store.close();
    const reopened = new NodeStore(join(dir, "node.db"));
    assert.deepEqual(reopened.task(1n)?.state, { phase: "executed", result, salt, images: 2 });
    assert.equal(reopened.task(1n)?.args, "{}");
    assert.deepEqual(reopened.images(1n), images);
  });

  it("syncs to disk the write that carries result, salt and images, and only that one", () => {
    const store = freshStore();
    const level = () => store.db.pragma("synchronous", { simple: true });
    assert.equal(level(), 1, "NORMAL: a commit survives a killed process without an fsync");
    const durable: unknown[] = [];
    const original = store.durableTransaction.bind(store);
    store.durableTransaction = (fn) =>
      original(() => {
        durable.push(level());
        return fn();
      });
    store.insertTask({ taskId: 1n, round: 0, taskHash, creator, createdBlock: 1n });
    store.saveState(1n, { phase: "fetched" }, { args: "{}" });
    assert.deepEqual(durable, []);
    const executed = transitions.executed({ phase: "fetched" }, result, salt, 1);
    store.saveState(1n, executed, { images: [new Uint8Array([1])] });
    assert.deepEqual(durable, [2], "FULL inside the executed write");
    assert.equal(level(), 1, "and NORMAL again after it");
    store.saveState(1n, transitions.committed(executed));
    assert.deepEqual(durable, [2]);
  });

  it("drops the images once settled, and derives the outcome from chain facts", () => {
    const store = freshStore();
    store.insertTask({ taskId: 1n, round: 0, taskHash, creator, createdBlock: 1n });
    store.saveState(1n, { phase: "disclosed", result, salt, images: 1 }, { images: [new Uint8Array([9])] });
    store.recordFacts(1n, { paidWei: 10n });
    store.recordFacts(1n, { paidWei: 10n }); // replayed event
    store.saveState(1n, { phase: "settled", from: "disclosed" });
    assert.deepEqual(store.images(1n), []);
    const task = store.task(1n);
    assert.ok(task);
    assert.equal(outcomeOf(task), "paid");
    assert.equal(store.totals().earnedWei, 10n);
    store.recordFacts(1n, { slashed: true });
    assert.equal(outcomeOf(store.task(1n) as NonNullable<typeof task>), "slashed");
  });

  it("refuses a data directory that belongs to another node or deployment", () => {
    const store = freshStore();
    const identity = { chainId: 31337, taskManager: creator, node: creator };
    store.bindIdentity(identity);
    store.bindIdentity(identity);
    assert.throws(() => store.bindIdentity({ ...identity, chainId: 1 }), StoreIdentityError);
  });

  it("keeps the newest settled tasks and the open ones when pruning", () => {
    const store = freshStore();
    for (let id = 1n; id <= 5n; id++) {
      store.insertTask({ taskId: id, round: 0, taskHash, creator, createdBlock: id });
      if (id < 5n) store.saveState(id, { phase: "settled", from: "assigned" });
    }
    assert.equal(store.prune(2), 2);
    assert.deepEqual(
      store
        .recentTasks(10)
        .map((t) => t.taskId)
        .sort(),
      [3n, 4n, 5n],
    );
  });

  it("refuses to save a task it does not have", () => {
    assert.throws(() => freshStore().saveState(99n, { phase: "fetched" }), /not in the store/);
  });
});

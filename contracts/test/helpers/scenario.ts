import assert from "node:assert/strict";
import { after, before, beforeEach } from "node:test";
import { type Chain, result, setupChain } from "@hydrogen/testnet";
import type { Address, Hex } from "viem";

/** One image's result, and results at 2 (within the threshold), 20 and 24 bits from it. */
export const HONEST = result(1);
export const NOISY = result(1, 1, 2);
export const CHEAT = result(1, 2, 20);
export const OTHER_CHEAT = result(1, 5, 24);

/**
 * One chain for a suite — `accounts` anvil accounts, the first `nodes` node accounts joined —
 * put back in that state before each test. Registers the suite's hooks; the chain it returns
 * is usable from the first test on.
 */
export function suiteChain(options: { accounts: number; nodes?: number }): Chain {
  let chain: Chain | undefined;
  before(async () => {
    chain = await setupChain({ accounts: options.accounts });
    if (options.nodes) await chain.joinNodes(options.nodes);
    await chain.snapshot();
  });
  after(() => chain?.stop());
  beforeEach(() => chain?.restore());
  return new Proxy({} as Chain, {
    get(_target, key) {
      if (!chain) throw new Error("the suite's chain starts in its before hook");
      return Reflect.get(chain, key);
    },
  });
}

/** What a round does in the commit phase: commit to a result, or report a task error. */
export type Action = Hex | "error";

export interface Task {
  taskId: bigint;
  nodes: Address[];
}

/** Acts for each round in `order` (default 0, 1, 2). */
export async function act(c: Chain, task: Task, actions: Action[], order = [0, 1, 2]) {
  const receipts = [];
  for (const round of order) {
    const action = actions[round];
    const node = task.nodes[round] as Address;
    if (action === undefined) continue;
    receipts.push(
      action === "error"
        ? await c.tm.send(node, "reportTaskError", task.taskId, round)
        : await c.commit(task.taskId, round, node, action),
    );
  }
  return receipts;
}

/** Discloses each round in `order` with the result it committed to. */
export async function discloseInOrder(c: Chain, task: Task, results: Action[], order: number[]) {
  const receipts = [];
  for (const round of order) {
    const value = results[round];
    assert.ok(value && value !== "error", `round ${round} has no result to disclose`);
    receipts.push(await c.disclose(task.taskId, round, task.nodes[round] as Address, value));
  }
  return receipts;
}

/** Whose balances a task moves: creator, incentive pool, its 3 nodes, the TaskManager. */
export function ledger(c: Chain, task: Task): Address[] {
  return [c.creator, c.pool, ...task.nodes, c.tm.address];
}

/** CNX balances of some accounts, to assert on differences. */
export async function balances(c: Chain, accounts: Address[]): Promise<bigint[]> {
  return Promise.all(accounts.map((a) => c.balance(a)));
}

export async function changes(c: Chain, accounts: Address[], before: bigint[]): Promise<bigint[]> {
  const now = await balances(c, accounts);
  return now.map((value, i) => value - (before[i] as bigint));
}

/** Asserts the task's storage is gone. */
export async function assertDeleted(c: Chain, taskId: bigint) {
  await assert.rejects(c.tm.read("getTask", taskId), /TaskNotFound/);
}

export async function taskInfo(c: Chain, taskId: bigint) {
  return (await c.tm.read("getTask", taskId)) as {
    creator: Address;
    feePerNode: bigint;
    deadline: bigint;
    phase: number;
    nodes: readonly Address[];
    rounds: readonly number[];
    resultRound: number;
  };
}

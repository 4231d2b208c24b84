/**
 * Random sequences of joins, pauses, resumes, quits, tasks, commits, error reports,
 * disclosures, upload reports, cancels and fee changes, with spec §5's invariants checked
 * after every step. Runs and steps: INVARIANT_RUNS (default 4), INVARIANT_STEPS (default 60);
 * INVARIANT_SEED picks the first seed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allAbi, type Chain, CNX, FEE, Phase, Round, result, STAKE, Status, setupChain } from "@hydrogen/testnet";
import { type Address, BaseError, ContractFunctionRevertedError, type Hex, keccak256, maxUint256, toHex } from "viem";
import { taskInfo } from "./helpers/scenario.ts";

const RUNS = Number(process.env.INVARIANT_RUNS ?? 4);
const STEPS = Number(process.env.INVARIANT_STEPS ?? 60);
const FIRST_SEED = Number(process.env.INVARIANT_SEED ?? 1);

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T };
}

/** Runs a transaction; a revert is an allowed outcome of a random step, anything else is not. */
async function attempt(tx: Promise<unknown>): Promise<boolean> {
  try {
    await tx;
    return true;
  } catch (error) {
    if (error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError)) return false;
    throw error;
  }
}

interface Model {
  /** Per task: what each round committed to (so it can disclose it later). */
  committed: Map<bigint, (Hex | undefined)[]>;
  taskIds: bigint[];
}

describe("invariants under random sequences", () => {
  let c: Chain;
  let nodes: Address[];
  let everyone: Address[];

  before(async () => {
    c = await setupChain({ accounts: 12 });
    nodes = c.nodes.slice(0, 8);
    for (const node of nodes) {
      await c.fund(node, 3n * STAKE);
      await c.cnx.send(node, "approve", c.registry.address, maxUint256);
    }
    for (const creator of [c.creator, c.creator2]) {
      await c.fund(creator, 100_000n * CNX);
      await c.cnx.send(creator, "approve", c.tm.address, maxUint256);
    }
    everyone = [c.deployer, c.pool, c.creator, c.creator2, ...c.nodes, c.registry.address, c.tm.address];
    await c.snapshot();
  });
  after(() => c.stop());

  after(() => {
    // The runs together must have walked the main branches, or the invariants prove little.
    for (const event of ["TaskSuccess", "TaskAborted", "NodeSlashedForTask", "TaskResultUploaded", "CreatorRefunded"]) {
      assert.ok(reached.has(event), `no run reached ${event}: ${[...reached].join(", ")}`);
    }
  });

  async function checkInvariants(model: Model, where: string) {
    const supply = (await c.cnx.read("totalSupply")) as bigint;
    const held = (await Promise.all(everyone.map((a) => c.balance(a)))).reduce((x, y) => x + y, 0n);
    assert.equal(held, supply, `${where}: CNX created or lost`);

    let escrow = 0n;
    const busyIn = new Map<Address, number>();
    for (const taskId of model.taskIds) {
      let info: Awaited<ReturnType<typeof taskInfo>>;
      try {
        info = await taskInfo(c, taskId);
      } catch {
        continue; // finished and deleted
      }
      assert.notEqual(info.phase, Phase.None);
      info.rounds.forEach((state, round) => {
        if (state === Round.Settled) return;
        escrow += info.feePerNode;
        const node = info.nodes[round] as Address;
        busyIn.set(node, (busyIn.get(node) ?? 0) + 1);
      });
    }
    assert.equal(await c.balance(c.tm.address), escrow, `${where}: TaskManager balance ≠ open tasks' unsettled fees`);

    let stakes = 0n;
    const available = new Set((await c.registry.read("availableNodes", 0n, 100n)) as Address[]);
    let joined = 0;
    for (const node of nodes) {
      const status = await c.status(node);
      stakes += (await c.registry.read("stakeOf", node)) as bigint;
      if (status !== Status.Quit) joined++;
      const inTask = status === Status.Busy || status === Status.PendingPause || status === Status.PendingQuit;
      assert.equal(busyIn.get(node) ?? 0, inTask ? 1 : 0, `${where}: ${node} status ${status} vs open tasks`);
      assert.equal(available.has(node), status === Status.Available, `${where}: ${node} available-set membership`);
    }
    assert.equal(await c.registry.read("availableNodeCount"), BigInt(available.size), `${where}: available count`);
    assert.equal(await c.registry.read("joinedNodeCount"), BigInt(joined), `${where}: joined count`);
    assert.equal(await c.balance(c.registry.address), stakes, `${where}: registry balance ≠ stakes`);
  }

  async function step(rng: ReturnType<typeof prng>, model: Model): Promise<string> {
    const roll = rng.next();
    const node = rng.pick(nodes);
    if (roll < 0.12) {
      await attempt(c.registry.send(node, "join"));
      return `join ${node}`;
    }
    if (roll < 0.2) {
      const action = rng.pick(["pause", "resume", "quit"] as const);
      await attempt(c.registry.send(node, action));
      return `${action} ${node}`;
    }
    if (roll < 0.35) {
      const creator = rng.pick([c.creator, c.creator2]);
      const ok = await attempt(c.tm.send(creator, "createTask", keccak256(toHex(String(rng.next()))), keccak256("0x")));
      if (ok) {
        const id = ((await c.tm.read("nextTaskId")) as bigint) - 1n;
        model.taskIds.push(id);
        model.committed.set(id, []);
      }
      return `createTask ${ok}`;
    }
    if (roll < 0.38) {
      await c.tm.send(c.deployer, "setFeePerNode", FEE * BigInt(1 + Math.floor(rng.next() * 3)));
      return "setFeePerNode";
    }
    if (roll < 0.43) {
      await c.passDeadline();
      const taskId = rng.pick(model.taskIds.length ? model.taskIds : [1n]);
      await attempt(c.tm.send(rng.pick([c.creator, c.creator2, node]), "cancelTask", taskId));
      return `cancel ${taskId}`;
    }
    if (model.taskIds.length === 0) return "idle";
    const taskId = rng.pick(model.taskIds.slice(-6));
    let info: Awaited<ReturnType<typeof taskInfo>>;
    try {
      info = await taskInfo(c, taskId);
    } catch {
      return `task ${taskId} gone`;
    }
    const round = Math.floor(rng.next() * 3);
    const actor = info.nodes[round] as Address;
    const committed = model.committed.get(taskId) ?? [];
    const honest = result(1, Number(taskId % 7n));
    if (info.phase === Phase.Created || info.phase === Phase.Aborted) {
      const r = rng.next();
      if (r < 0.2 || info.phase === Phase.Aborted) {
        await attempt(c.tm.send(actor, "reportTaskError", taskId, round));
        return `error ${taskId}/${round}`;
      }
      const value = r < 0.85 ? honest : result(1, round + 1, 20);
      if (await attempt(c.commit(taskId, round, actor, value))) committed[round] = value;
      return `commit ${taskId}/${round}`;
    }
    if (info.phase === Phase.Success && rng.next() < 0.4) {
      await attempt(
        c.tm.send(info.nodes[info.resultRound] as Address, "reportResultsUploaded", taskId, info.resultRound),
      );
      return `uploaded ${taskId}`;
    }
    const value = committed[round];
    if (value) await attempt(c.disclose(taskId, round, actor, value));
    return `disclose ${taskId}/${round}`;
  }

  const reached = new Set<string>();

  for (let run = 0; run < RUNS; run++) {
    const seed = FIRST_SEED + run;
    it(`seed ${seed}: ${STEPS} random steps keep every invariant`, async () => {
      await c.restore();
      const rng = prng(seed);
      const model: Model = { committed: new Map(), taskIds: [] };
      for (const node of nodes.slice(0, 5)) await c.registry.send(node, "join");
      await checkInvariants(model, "start");
      const trail: string[] = [];
      for (let i = 0; i < STEPS; i++) {
        trail.push(await step(rng, model));
        await checkInvariants(model, `seed ${seed} step ${i} (${trail.slice(-4).join(" → ")})`);
      }
      assert.ok(model.taskIds.length > 0, "the run created tasks");
      const logs = await c.publicClient.getContractEvents({ address: c.tm.address, abi: allAbi, fromBlock: 0n });
      for (const log of logs) reached.add(log.eventName);
    });
  }
});

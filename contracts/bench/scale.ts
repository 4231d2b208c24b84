/**
 * createTask with many joined nodes, all but 3 busy: the draw must cost the same at 10 and at
 * 10,000 nodes. Nodes here are contracts made by a factory, so thousands join in a few
 * transactions; the measured createTask is a normal transaction from an account.
 */

import { type Chain, CNX } from "@hydrogen/testnet";
import { type Address, encodeFunctionData } from "viem";
import { compileSolidity } from "../scripts/compile.ts";
import type { Samples } from "./scenarios.ts";

const SPAWN_BATCH = 400;
const TASK_BATCH = 200;

export interface ScaleReport {
  joined: number;
  busy: number;
  paused: number;
  available: number;
}

export async function deployFactory(c: Chain) {
  const output = compileSolidity(["bench/BenchHelpers.sol"]);
  const compiled = output.contracts["bench/BenchHelpers.sol"]?.BenchFactory;
  if (!compiled) throw new Error("BenchFactory did not compile");
  const abi = compiled.abi;
  const hash = await c.testClient.request({
    method: "eth_sendTransaction" as never,
    params: [{ from: c.deployer, data: `0x${compiled.evm.bytecode.object}`, gas: "0x1C9C380" }] as never,
  });
  const receipt = await c.publicClient.waitForTransactionReceipt({ hash: hash as `0x${string}` });
  const address = receipt.contractAddress as Address;
  const send = async (fn: string, ...args: unknown[]) => {
    const gasHash = await c.testClient.request({
      method: "eth_sendTransaction" as never,
      params: [
        {
          from: c.deployer,
          to: address,
          data: encodeFunctionData({ abi, functionName: fn, args } as never),
          gas: "0x3B9ACA00",
        },
      ] as never,
    });
    const r = await c.publicClient.waitForTransactionReceipt({ hash: gasHash as `0x${string}` });
    if (r.status !== "success") throw new Error(`BenchFactory.${fn} reverted`);
  };
  // Enough CNX for every stake and every task fee the setup needs.
  await c.fund(address, 10_000_000n * CNX);
  return { address, send };
}

/** Brings the network to `joined` nodes with exactly 3 available and the rest busy (or paused when not divisible by 3). */
export async function prepareScale(
  c: Chain,
  factory: Awaited<ReturnType<typeof deployFactory>>,
  joined: number,
): Promise<ScaleReport> {
  const stake = (await c.registry.read("stakeAmount")) as bigint;
  let current = Number(await c.registry.read("joinedNodeCount"));
  while (current < joined) {
    const count = Math.min(SPAWN_BATCH, joined - current);
    await factory.send("spawn", c.cnx.address, c.registry.address, stake, BigInt(count));
    current += count;
  }
  let available = Number(await c.registry.read("availableNodeCount"));
  while (available >= 6) {
    const tasks = Math.min(TASK_BATCH, Math.floor((available - 3) / 3));
    await factory.send("createTasks", c.cnx.address, c.tm.address, BigInt(tasks));
    available = Number(await c.registry.read("availableNodeCount"));
  }
  let paused = 0;
  while (available > 3) {
    const [node] = (await c.registry.read("availableNodes", 0n, 1n)) as Address[];
    await factory.send("pauseNode", c.registry.address, node);
    paused++;
    available--;
  }
  return { joined, busy: joined - paused - available, paused, available };
}

/** createTask at this scale: created, measured and cancelled `count` times (after one unmeasured). */
export async function measureCreateTask(c: Chain, samples: Samples, name: string, count: number): Promise<void> {
  for (let i = 0; i <= count; i++) {
    const task = await c.createTask(c.creator);
    if (i > 0) samples.add(name, task.gasUsed);
    await c.passDeadline();
    await c.tm.send(c.creator, "cancelTask", task.taskId);
  }
}

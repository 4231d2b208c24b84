/**
 * The measured scenarios of the gas benchmark. Every figure is `gasUsed` from a real receipt
 * on anvil (intrinsic gas, calldata and refunds included), averaged over several runs because
 * the node draw is random and its cost depends on where the drawn nodes sit.
 */

import { type Chain, FEE, result, signPermit } from "@hydrogen/testnet";
import type { Address, Hex } from "viem";

export class Samples {
  private readonly values = new Map<string, bigint[]>();

  add(name: string, gas: bigint): bigint {
    const list = this.values.get(name) ?? [];
    list.push(gas);
    this.values.set(name, list);
    return gas;
  }

  mean(name: string): number {
    const list = this.values.get(name);
    if (!list?.length) throw new Error(`no samples for ${name}`);
    return Math.round(Number(list.reduce((a, b) => a + b, 0n)) / list.length);
  }

  names(): string[] {
    return [...this.values.keys()];
  }
}

type Outcome = "success" | "slash" | "disagree";

/**
 * One task from creation to its end: commits, disclosures in round order, and the upload
 * report when it succeeds. Returns the gas of each transaction in order.
 */
export async function runTask(
  c: Chain,
  samples: Samples,
  options: { images?: number; outcome?: Outcome; prefix?: string; record?: boolean } = {},
): Promise<{ gas: bigint[]; nodes: Address[] }> {
  const images = options.images ?? 1;
  const record = options.record ?? true;
  const prefix = options.prefix ?? "";
  const note = (name: string, gas: bigint) => (record ? samples.add(`${prefix}${name}`, gas) : gas);
  const honest = result(images);
  const results: Hex[] = [honest, honest, honest];
  if (options.outcome === "slash") results[2] = result(images, 3, 20);
  if (options.outcome === "disagree") [results[1], results[2]] = [result(images, 3, 20), result(images, 6, 24)];

  const gas: bigint[] = [];
  const task = await c.createTask(c.creator);
  gas.push(note("createTask", task.gasUsed));
  for (const round of [0, 1, 2]) {
    const { gasUsed } = await c.commit(task.taskId, round, task.nodes[round] as Address, results[round] as Hex);
    gas.push(note(`submitTaskResultCommitment #${round + 1}`, gasUsed));
  }
  for (const round of [0, 1, 2]) {
    const { gasUsed } = await c.disclose(task.taskId, round, task.nodes[round] as Address, results[round] as Hex);
    gas.push(note(`discloseTaskResult #${round + 1}`, gasUsed));
  }
  if (options.outcome !== "disagree") {
    const upload = await c.tm.send(task.nodes[0] as Address, "reportResultsUploaded", task.taskId, 0);
    gas.push(note("reportResultsUploaded", upload.gasUsed));
  }
  return { gas, nodes: task.nodes };
}

/** Two error reports abort the task; the late third reporter is paid. */
export async function runErrorTask(c: Chain, samples: Samples): Promise<bigint[]> {
  const task = await c.createTask(c.creator);
  const gas = [task.gasUsed];
  for (const round of [0, 1, 2]) {
    const { gasUsed } = await c.tm.send(task.nodes[round] as Address, "reportTaskError", task.taskId, round);
    gas.push(samples.add(`reportTaskError #${round + 1}`, gasUsed));
  }
  return gas;
}

/** A task nobody works on, cancelled by its creator after the deadline. */
export async function runCancelledTask(c: Chain, samples: Samples): Promise<bigint[]> {
  const task = await c.createTask(c.creator);
  await c.passDeadline();
  const { gasUsed } = await c.tm.send(c.creator, "cancelTask", task.taskId);
  return [task.gasUsed, samples.add("cancelTask", gasUsed)];
}

/** createTaskWithPermit, then the task is cancelled to free its nodes. */
export async function runPermitTask(c: Chain, samples: Samples): Promise<void> {
  await c.fund(c.creator, 3n * FEE);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 86_400 * 365);
  const { v, r, s } = await signPermit(c, 2, c.tm.address, 3n * FEE, deadline);
  const { gasUsed, events } = await c.tm.send(
    c.creator,
    "createTaskWithPermit",
    `0x${"01".repeat(32)}`,
    `0x${"00".repeat(32)}`,
    deadline,
    v,
    r,
    s,
  );
  samples.add("createTaskWithPermit", gasUsed);
  const taskId = (events.find((e) => e.eventName === "TaskCreated") as unknown as { args: { taskId: bigint } }).args
    .taskId;
  await c.passDeadline();
  await c.tm.send(c.creator, "cancelTask", taskId);
}

/** The registry's node actions, on a node that is Available and warm. */
export async function runNodeActions(c: Chain, samples: Samples, node: Address, index: number): Promise<void> {
  samples.add("pause", (await c.registry.send(node, "pause")).gasUsed);
  samples.add("resume", (await c.registry.send(node, "resume")).gasUsed);
  samples.add("quit", (await c.registry.send(node, "quit")).gasUsed);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 86_400 * 365);
  const stake = (await c.registry.read("stakeAmount")) as bigint;
  const { v, r, s } = await signPermit(c, index, c.registry.address, stake, deadline);
  samples.add("joinWithPermit", (await c.registry.send(node, "joinWithPermit", deadline, v, r, s)).gasUsed);
  samples.add("quit", (await c.registry.send(node, "quit")).gasUsed);
  await c.cnx.send(node, "approve", c.registry.address, stake);
  samples.add("join (again)", (await c.registry.send(node, "join")).gasUsed);
}

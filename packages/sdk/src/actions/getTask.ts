import { ABORT_REASONS, CHAIN_TASK_PHASES, ROUND_STATES, type RoundState } from "@hydrogen/protocol";
import { type Address, BaseError, ContractFunctionRevertedError } from "viem";
import type { HydrogenClient } from "../client.ts";
import { taskManagerCallAbi } from "../contract-errors.ts";
import { type AbortReason, TaskNotFoundError } from "../errors.ts";
import { getTaskEvents } from "./getTaskEvents.ts";

/**
 * Where a task is: the contract's phases, and `Completed` once the images were reported
 * uploaded (the contract has then deleted the task; its events remain).
 */
export type TaskPhase = "Created" | "CommitmentsReady" | "Success" | "Aborted" | "Completed";

export type { RoundState };

export interface GetTaskParameters {
  taskId: bigint;
  fromBlock?: bigint;
}

export interface GetTaskReturnType {
  taskId: bigint;
  phase: TaskPhase;
  creator: Address;
  nodes: Address[];
  /** Per round, while the contract still stores the task. */
  rounds?: RoundState[];
  /** Unix seconds, while stored. */
  deadline?: bigint;
  feePerNode?: bigint;
  abortReason?: AbortReason;
  resultNode?: Address;
}

export type GetTaskErrorType = TaskNotFoundError;

const PHASES = CHAIN_TASK_PHASES;
const ROUNDS = ROUND_STATES;
const REASONS = ABORT_REASONS;

/**
 * A task's state from the contract, completed from its events once the contract has deleted it.
 *
 * @example
 * const task = await getTask(client, { taskId: 7n });
 * task.phase // "Completed"
 */
export async function getTask(client: HydrogenClient, parameters: GetTaskParameters): Promise<GetTaskReturnType> {
  const { taskId } = parameters;
  const [stored, events] = await Promise.all([readStored(client, taskId), getTaskEvents(client, parameters)]);
  const created = events.filter((e) => e.name === "TaskCreated");
  if (!stored && created.length === 0) throw new TaskNotFoundError(taskId);
  const aborted = events.find((e) => e.name === "TaskAborted");
  const success = events.find((e) => e.name === "TaskSuccess");
  const uploaded = events.some((e) => e.name === "TaskResultUploaded");
  const eventPhase: TaskPhase = aborted ? "Aborted" : uploaded ? "Completed" : success ? "Success" : "Created";
  const base = {
    taskId,
    abortReason: aborted ? REASONS[aborted.reason] : undefined,
    resultNode: success?.resultNode,
  };
  if (!stored) {
    return {
      ...base,
      phase: eventPhase,
      creator: created[0]?.creator as Address,
      nodes: [...created].sort((a, b) => a.round - b.round).map((e) => e.node),
    };
  }
  const phase = PHASES[stored.phase] ?? "None";
  return {
    ...base,
    phase: uploaded ? "Completed" : phase === "None" ? eventPhase : phase,
    creator: stored.creator,
    nodes: [...stored.nodes],
    rounds: stored.rounds.map((r) => ROUNDS[r] ?? "Pending"),
    deadline: stored.deadline,
    feePerNode: stored.feePerNode,
  };
}

async function readStored(client: HydrogenClient, taskId: bigint) {
  try {
    return await client.publicClient.readContract({
      address: client.contracts.TaskManager,
      abi: taskManagerCallAbi,
      functionName: "getTask",
      args: [taskId],
    });
  } catch (error) {
    const revert = error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName === "TaskNotFound") return undefined;
    throw error;
  }
}

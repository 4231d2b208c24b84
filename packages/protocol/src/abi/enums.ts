/**
 * The contracts' enums, member names in declaration order (index = the uint8 on chain): the one
 * place off-chain code reads them from. `enums.test.ts` checks them against the Solidity
 * interfaces and the ABIs.
 */

/** INodeRegistry.NodeStatus (spec §2). `Quit` is also what a node that never joined reads as. */
export const NODE_STATUSES = ["Quit", "Available", "Busy", "Paused", "PendingPause", "PendingQuit"] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** ITaskManager.TaskPhase. `None`: never existed, or deleted once settled (spec §5). */
export const CHAIN_TASK_PHASES = ["None", "Created", "CommitmentsReady", "Success", "Aborted"] as const;
export type ChainTaskPhase = (typeof CHAIN_TASK_PHASES)[number];

/** ITaskManager.RoundState: what one selected node has done in its task (spec §4). */
export const ROUND_STATES = ["Pending", "Committed", "ErrorReported", "Disclosed", "Settled"] as const;
export type RoundState = (typeof ROUND_STATES)[number];

/** ITaskManager.AbortReason (spec §4–§5). */
export const ABORT_REASONS = ["Cancelled", "ErrorReported", "ResultsDisagree"] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

/**
 * An enum's members by name with their on-chain numbers.
 *
 * @example
 * const Status = enumValues(NODE_STATUSES); Status.Busy // 2
 */
export function enumValues<const T extends readonly string[]>(names: T): { readonly [K in T[number]]: number } {
  return Object.fromEntries(names.map((name, index) => [name, index])) as { [K in T[number]]: number };
}

/** Numbers by name: `NodeStatusValue.Busy === 2`. */
export const NodeStatusValue = enumValues(NODE_STATUSES);
export const ChainTaskPhaseValue = enumValues(CHAIN_TASK_PHASES);
export const RoundStateValue = enumValues(ROUND_STATES);
export const AbortReasonValue = enumValues(ABORT_REASONS);

/**
 * A set of task phases as the contract's `UnexpectedTaskPhase` error carries it: a bytes32
 * with bit `1 << phase` set for each phase.
 */
export function taskPhaseSet(...phases: ChainTaskPhase[]): `0x${string}` {
  let bits = 0n;
  for (const phase of phases) bits |= 1n << BigInt(ChainTaskPhaseValue[phase]);
  return `0x${bits.toString(16).padStart(64, "0")}`;
}

/** The phases in a `taskPhaseSet` bitmap, in enum order. */
export function taskPhasesIn(set: `0x${string}`): ChainTaskPhase[] {
  const bits = BigInt(set);
  return CHAIN_TASK_PHASES.filter((_, value) => (bits >> BigInt(value)) & 1n);
}

import type { FollowerStatus } from "@hydrogen/chain";
import type { RelayClient, RelayIndexedNode, RelayNodeHistoryEntry } from "@hydrogen/protocol";
import type { Address } from "viem";
import type { LogRing } from "../logging.ts";
import type { StakeStatus, Staking, StakingAction } from "../staking.ts";
import { type NodeStore, outcomeOf, type TaskRecord } from "../store/store.ts";
import { taskError } from "../task/state.ts";

/** A task as the API shows it (no salt, no images, amounts as decimal strings). */
export interface TaskSummary {
  taskId: string;
  round: number;
  phase: string;
  outcome?: string;
  creator: Address;
  paidWei: string;
  slashed: boolean;
  abortReason?: string;
  resultNode?: Address;
  error?: { code: string; reason: string };
  /** Why a settled task paid this node nothing (slashed, missed, aborted). */
  lossReason?: string;
  /** This node's last failure on the task (retried): why it may miss it. */
  lastFailure?: { step: string; code: string; reason: string; at: string; count: number };
  timings: Record<string, number>;
  receivedAt: string;
  updatedAt: string;
}

export interface NodeStatusReport {
  address: Address;
  wallet: string;
  engine: string;
  chain: { chainId: number; taskManager: Address; head?: string; cursor?: string; lagBlocks?: string };
  node:
    | { status: string; stakeWei: string; stakeAmountWei: string; cnxWei: string; gasWei: string }
    | { error: string };
  currentTasks: TaskSummary[];
  recentTasks: TaskSummary[];
  earnings: { earnedWei: string; paidTasks: number; slashes: number; transactions: number; feesWei: string };
  /** The last 100 settled tasks that paid this node nothing, each with why. */
  lostTasks: TaskSummary[];
  /** Of the last 100 settled tasks, those missed through this node's own failures, by failure code. */
  missedByCode: Record<string, number>;
  /** This node as the relay's index sees it from the chain (the same history anyone can read). */
  index: { node?: RelayIndexedNode; events: RelayNodeHistoryEntry[]; error?: string };
  lastError?: string;
}

/** Why a settled task paid the node nothing, in words; undefined while open or when paid. */
function lossReason(task: TaskRecord): string | undefined {
  const outcome = outcomeOf(task);
  if (outcome === undefined || outcome === "paid") return undefined;
  if (outcome === "slashed") {
    return taskError(task.state)
      ? "slashed: it reported an error while two nodes agreed on a result"
      : "slashed: its result differed from the two that agreed";
  }
  const failure = task.lastFailure;
  if (failure) return `missed: ${failure.code} at ${failure.step} (${failure.count}×) — ${failure.reason}`;
  if (task.abortReason) return `unpaid: the task was aborted (${task.abortReason})`;
  return "unpaid";
}

export function summarize(task: TaskRecord): TaskSummary {
  const state = task.state;
  return {
    taskId: task.taskId.toString(),
    round: task.round,
    phase: state.phase,
    outcome: outcomeOf(task),
    creator: task.creator,
    paidWei: task.paidWei.toString(),
    slashed: task.slashed,
    abortReason: task.abortReason,
    resultNode: task.resultNode,
    error: taskError(state),
    lossReason: lossReason(task),
    lastFailure: task.lastFailure && { ...task.lastFailure, at: new Date(task.lastFailure.at).toISOString() },
    timings: task.timings,
    receivedAt: new Date(task.receivedAt).toISOString(),
    updatedAt: new Date(task.updatedAt).toISOString(),
  };
}

/** What the management API reads and does, gathered from the node's modules. */
export class StatusSource {
  lastError: string | undefined;

  constructor(
    private readonly info: { address: Address; wallet: string; engine: string; chainId: number; taskManager: Address },
    private readonly deps: {
      store: NodeStore;
      staking: Staking;
      follower: () => FollowerStatus;
      ring: LogRing;
      relay?: Pick<RelayClient, "getNode" | "getNodeHistory">;
    },
  ) {}

  async report(): Promise<NodeStatusReport> {
    const { store, staking, follower } = this.deps;
    let node: NodeStatusReport["node"];
    try {
      node = stringify(await staking.status());
    } catch (error) {
      node = { error: `chain unreachable: ${(error as Error).message.split("\n")[0]}` };
    }
    const f = follower();
    const totals = store.totals();
    return {
      address: this.info.address,
      wallet: this.info.wallet,
      engine: this.info.engine,
      chain: {
        chainId: this.info.chainId,
        taskManager: this.info.taskManager,
        head: f.head?.toString(),
        cursor: f.cursor?.toString(),
        lagBlocks: f.lag?.toString(),
      },
      node,
      currentTasks: store.openTasks().map(summarize),
      recentTasks: store.recentTasks(10).map(summarize),
      earnings: {
        earnedWei: totals.earnedWei.toString(),
        paidTasks: totals.paidTasks,
        slashes: totals.slashes,
        transactions: totals.transactions,
        feesWei: totals.feesWei.toString(),
      },
      lostTasks: store.lostTasks(100).map(summarize),
      missedByCode: store.missedByCode(100),
      index: await this.index(),
      lastError: this.lastError,
    };
  }

  /** The relay index's summary and latest history of this node; its error when the relay cannot say. */
  private async index(): Promise<NodeStatusReport["index"]> {
    const relay = this.deps.relay;
    if (!relay) return { events: [], error: "no relay" };
    try {
      // The dashboard polls every few seconds: a slow relay costs this section, not the page.
      const [node, history] = await Promise.race([
        Promise.all([relay.getNode(this.info.address), relay.getNodeHistory(this.info.address, { limit: 50 })]),
        new Promise<never>((_, reject) => {
          setTimeout(() => reject(new Error("the relay did not answer within 2 s")), 2000).unref();
        }),
      ]);
      return { node, events: history.events };
    } catch (error) {
      return { events: [], error: (error as Error).message.split("\n")[0] };
    }
  }

  tasks(limit: number): TaskSummary[] {
    return this.deps.store.recentTasks(limit).map(summarize);
  }

  task(taskId: bigint): TaskSummary | undefined {
    const task = this.deps.store.task(taskId);
    return task ? summarize(task) : undefined;
  }

  logs(limit: number): unknown[] {
    return this.deps.ring.recent(limit);
  }

  act(action: StakingAction) {
    return this.deps.staking.act(action);
  }
}

function stringify(status: StakeStatus) {
  return {
    status: status.status,
    stakeWei: status.stakeWei.toString(),
    stakeAmountWei: status.stakeAmountWei.toString(),
    cnxWei: status.cnxWei.toString(),
    gasWei: status.gasWei.toString(),
  };
}

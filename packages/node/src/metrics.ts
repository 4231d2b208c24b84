import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The node's Prometheus metrics (served at `/metrics` on the management API). */
export function createMetrics() {
  const registry = new Registry();
  // Event-loop lag sampled every second, not prom-client's 10 ms: a timer waking the loop 100
  // times a second costs an idle node more CPU than anything else it does.
  collectDefaultMetrics({ register: registry, prefix: "hydrogen_node_", eventLoopMonitoringPrecision: 1000 });
  const registers = [registry];
  return {
    registry,
    tasks: new Counter({
      name: "hydrogen_node_tasks_total",
      help: "Tasks settled, by outcome (paid, slashed, aborted, cancelled, unpaid)",
      labelNames: ["outcome"],
      registers,
    }),
    phaseSeconds: new Histogram({
      name: "hydrogen_node_task_phase_seconds",
      help: "Time spent in each task phase before leaving it",
      labelNames: ["phase"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    }),
    engineSeconds: new Histogram({
      name: "hydrogen_node_engine_seconds",
      help: "Engine time per task",
      buckets: [0.01, 0.1, 1, 5, 15, 60, 300],
      registers,
    }),
    modelDownloads: new Counter({
      name: "hydrogen_node_model_downloads_total",
      help: "Model download attempts, by outcome (ok, failed, invalid)",
      labelNames: ["outcome"],
      registers,
    }),
    modelDownloadBytes: new Counter({
      name: "hydrogen_node_model_download_bytes_total",
      help: "Bytes of models downloaded",
      registers,
    }),
    modelCacheBytes: new Gauge({
      name: "hydrogen_node_model_cache_bytes",
      help: "Bytes the model cache holds",
      registers,
    }),
    modelEvictions: new Counter({
      name: "hydrogen_node_model_evictions_total",
      help: "Models evicted from the cache to stay under its disk budget",
      registers,
    }),
    stepFailures: new Counter({
      name: "hydrogen_node_step_failures_total",
      help: "Task steps that failed and were retried, by step and error code (why this node could not do it)",
      labelNames: ["step", "code"],
      registers,
    }),
    missedTasks: new Counter({
      name: "hydrogen_node_missed_tasks_total",
      help: "Tasks that ended without pay for this node after its own failures, by the last failure's code",
      labelNames: ["code"],
      registers,
    }),
    safetyImages: new Counter({
      name: "hydrogen_node_safety_checked_images_total",
      help: "Images the safety checker classified, by verdict (passed, flagged: replaced by a black image)",
      labelNames: ["verdict"],
      registers,
    }),
    safetySeconds: new Histogram({
      name: "hydrogen_node_safety_check_seconds",
      help: "Safety checker time per task",
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60],
      registers,
    }),
    transactions: new Counter({
      name: "hydrogen_node_transactions_total",
      help: "Transactions mined, by contract function",
      labelNames: ["function"],
      registers,
    }),
    gasUsed: new Counter({
      name: "hydrogen_node_gas_used_total",
      help: "Gas used by the node's transactions",
      registers,
    }),
    feesWei: new Counter({
      name: "hydrogen_node_fees_wei_total",
      help: "Native currency spent on transaction fees, in wei",
      registers,
    }),
    earnedWei: new Counter({
      name: "hydrogen_node_earned_wei_total",
      help: "CNX paid to this node for tasks, in wei",
      registers,
    }),
    slashes: new Counter({ name: "hydrogen_node_slashes_total", help: "Times this node was slashed", registers }),
    lowGas: new Gauge({
      name: "hydrogen_node_low_gas",
      help: "1 while the ETH balance cannot pay one task's transactions (the node pauses itself)",
      registers,
    }),
    followerLag: new Gauge({
      name: "hydrogen_node_follower_lag_blocks",
      help: "Blocks between the chain head and the last applied block",
      registers,
    }),
    reorgs: new Counter({
      name: "hydrogen_node_reorgs_total",
      help: "Reorganisations of applied blocks rolled back by the chain follower",
      registers,
    }),
    followerCursor: new Gauge({
      name: "hydrogen_node_follower_cursor_block",
      help: "The last block whose logs were applied",
      registers,
    }),
  };
}

export type NodeMetrics = ReturnType<typeof createMetrics>;

/** How many tasks' counted payments and slashes are remembered. */
const COUNTED_TASKS = 10_000;

/**
 * Counts each task's payment and slash once: one rolled back by a reorganisation and applied
 * again is not counted twice (nor is a payment of the same task replayed while running).
 */
export class EarningsMetrics {
  private readonly counted = new Map<string, { paid: boolean; slashed: boolean }>();

  constructor(private readonly metrics: Pick<NodeMetrics, "earnedWei" | "slashes">) {}

  record(applied: { payments: { taskId: bigint; amount: bigint }[]; slashes: bigint[] }): void {
    for (const { taskId, amount } of applied.payments) {
      const seen = this.seen(taskId);
      if (seen.paid) continue;
      seen.paid = true;
      this.metrics.earnedWei.inc(Number(amount));
    }
    for (const taskId of applied.slashes) {
      const seen = this.seen(taskId);
      if (seen.slashed) continue;
      seen.slashed = true;
      this.metrics.slashes.inc();
    }
  }

  private seen(taskId: bigint): { paid: boolean; slashed: boolean } {
    const key = taskId.toString();
    let seen = this.counted.get(key);
    if (!seen) {
      seen = { paid: false, slashed: false };
      this.counted.set(key, seen);
      if (this.counted.size > COUNTED_TASKS) this.counted.delete(this.counted.keys().next().value as string);
    }
    return seen;
  }
}

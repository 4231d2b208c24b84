import { createHmac, randomBytes } from "node:crypto";
import { nextDelay, pause } from "@hydrogen/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { relayPhase, type TaskRow } from "../db/tasks.ts";
import { checkWebhookUrl } from "./address.ts";

export interface WebhookOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  maxAttempts: number;
  intervalMs: number;
}

export interface WebhookDependencies {
  db: Kysely<Database>;
  log: Logger;
  /** Only the instance that follows the chain announces, so no change is announced twice. */
  isLeader(): boolean;
  fetch?: typeof fetch;
}

/** Phases after which a task changes no more. */
const FINAL = ["results_uploaded", "aborted"];
/** Open tasks of webhook owners looked at per sweep; deliveries sent per sweep. */
const TASKS_PER_SWEEP = 500;
const DELIVERIES_PER_SWEEP = 20;

/** The headers a delivery carries (the body is the JSON announced). */
export const WEBHOOK_HEADERS = {
  id: "x-hydrogen-webhook-id",
  timestamp: "x-hydrogen-webhook-timestamp",
  signature: "x-hydrogen-webhook-signature",
} as const;

/** The signature of a delivery: hex HMAC-SHA256 of `${timestamp}.${body}` with the webhook's secret. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/**
 * Announces each phase change of an account's tasks to its webhooks (spec §7, "Index and
 * notifications"): a sweep queues one delivery per webhook for every task whose phase moved
 * since the last announcement (an outbox table, so a crash loses nothing), then posts the due
 * ones, signed, and retries failures with a doubling back-off until `maxAttempts`.
 */
export class WebhookDispatcher {
  constructor(
    private readonly options: WebhookOptions,
    private readonly deps: WebhookDependencies,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.deps.isLeader()) {
        try {
          await this.enqueue(Date.now());
          await this.deliver(Date.now(), signal);
        } catch (error) {
          this.deps.log.warn({ err: error }, "webhook sweep failed");
        }
      }
      await pause(this.options.intervalMs, signal);
    }
  }

  /** Queues a delivery per webhook for each task of their owners whose phase changed. */
  async enqueue(now: number): Promise<number> {
    const { db } = this.deps;
    const hooks = await db.selectFrom("webhooks").select(["id", "owner"]).execute();
    if (hooks.length === 0) return 0;
    const owners = [...new Set(hooks.map((hook) => hook.owner))];
    const tasks = await db
      .selectFrom("tasks")
      .selectAll()
      .where("creator", "in", owners)
      .where("chain_phase", "!=", "orphaned")
      .where((eb) => eb.or([eb("notified_phase", "is", null), eb("notified_phase", "not in", FINAL)]))
      .limit(TASKS_PER_SWEEP)
      .execute();
    let queued = 0;
    for (const task of tasks) {
      const phase = relayPhase(task);
      if (phase === task.notified_phase) continue;
      const body = JSON.stringify(announcement(task, now));
      const targets = hooks.filter((hook) => hook.owner === task.creator);
      await db.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable("tasks")
          .set({ notified_phase: phase })
          .where("task_id", "=", task.task_id)
          .where((eb) =>
            task.notified_phase === null
              ? eb("notified_phase", "is", null)
              : eb("notified_phase", "=", task.notified_phase),
          )
          .executeTakeFirst();
        if (!moved.numUpdatedRows) return; // announced meanwhile
        await trx
          .insertInto("webhook_deliveries")
          .values(
            targets.map((hook) => ({
              id: randomBytes(16).toString("hex"),
              webhook_id: hook.id,
              body,
              attempts: 0,
              next_at: now,
            })),
          )
          .execute();
        queued += targets.length;
      });
    }
    return queued;
  }

  /** Posts the due deliveries; returns how many were delivered. */
  async deliver(now: number, signal?: AbortSignal): Promise<number> {
    const { db } = this.deps;
    const due = await db
      .selectFrom("webhook_deliveries")
      .innerJoin("webhooks", "webhooks.id", "webhook_deliveries.webhook_id")
      .select([
        "webhook_deliveries.id as id",
        "webhook_deliveries.body as body",
        "webhook_deliveries.attempts as attempts",
        "webhooks.url as url",
        "webhooks.secret as secret",
      ])
      .where("webhook_deliveries.delivered_at", "is", null)
      .where("webhook_deliveries.next_at", "<=", now)
      .where("webhook_deliveries.attempts", "<", this.options.maxAttempts)
      .orderBy("webhook_deliveries.next_at")
      .limit(DELIVERIES_PER_SWEEP)
      .execute();
    const results = await Promise.all(due.map((delivery) => this.post(delivery, signal)));
    for (const [index, error] of results.entries()) {
      const delivery = due[index];
      if (!delivery) continue;
      const attempts = delivery.attempts + 1;
      if (error === undefined) {
        await db
          .updateTable("webhook_deliveries")
          .set({ delivered_at: Date.now(), attempts, last_error: null })
          .where("id", "=", delivery.id)
          .execute();
        continue;
      }
      let delay = 0;
      for (let i = 0; i < attempts; i++) delay = nextDelay(delay, { firstMs: 1000, maxMs: 600_000 });
      await db
        .updateTable("webhook_deliveries")
        .set({ attempts, next_at: Date.now() + delay, last_error: error.slice(0, 500) })
        .where("id", "=", delivery.id)
        .execute();
      if (attempts >= this.options.maxAttempts)
        this.deps.log.warn({ delivery: delivery.id, url: delivery.url, error }, "webhook delivery given up");
    }
    return results.filter((error) => error === undefined).length;
  }

  /** One attempt; the error's text when it failed. */
  private async post(
    delivery: { id: string; body: string; url: string; secret: string },
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    try {
      // Again before each delivery: a name may resolve elsewhere since the webhook was made.
      const url = await checkWebhookUrl(delivery.url, this.options.allowPrivate);
      const timestamp = Math.floor(Date.now() / 1000);
      const timeout = AbortSignal.timeout(this.options.timeoutMs);
      const response = await (this.deps.fetch ?? fetch)(url, {
        method: "POST",
        redirect: "manual", // a redirect could lead to a private address
        headers: {
          "content-type": "application/json",
          [WEBHOOK_HEADERS.id]: delivery.id,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: webhookSignature(delivery.secret, timestamp, delivery.body),
        },
        body: delivery.body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return (error as Error).message;
    }
  }
}

/** What a delivery says: the task's phase now. */
function announcement(task: TaskRow, now: number) {
  return {
    type: "task.phase",
    task_id: task.task_id,
    phase: relayPhase(task),
    ...(task.abort_reason ? { abort_reason: task.abort_reason } : {}),
    at: Math.floor(now / 1000),
  };
}

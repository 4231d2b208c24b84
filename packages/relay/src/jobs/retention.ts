import { pause } from "@hydrogen/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { forgetExpiredSignatures } from "../db/signatures.ts";
import type { ImageStore } from "../images/store.ts";
import type { RelayMetrics } from "../metrics.ts";

export interface RetentionOptions {
  /** Seconds after a task ends (aborted, or its upload reported) before its data is deleted. */
  afterEndSeconds: number;
  /** Seconds after creation before a task that never ends on chain is deleted. */
  afterCreateSeconds: number;
  intervalSeconds: number;
}

export interface RetentionDependencies {
  db: Kysely<Database>;
  images: ImageStore;
  log: Logger;
  metrics: RelayMetrics;
  /** Only the instance that follows the chain sweeps, so instances do not race each other. */
  isLeader(): boolean;
}

const BATCH = 200;

/**
 * One sweep: deletes the arguments, images and disclosures of tasks past retention and keeps
 * a tombstone row (so replaying old blocks cannot bring them back), then forgets expired
 * signatures. Returns the number of tasks purged.
 */
export async function sweep(
  options: RetentionOptions,
  deps: Omit<RetentionDependencies, "isLeader">,
  now = Date.now(),
) {
  const { db, images, metrics } = deps;
  // Webhook deliveries last attempted longer ago than an ended task is kept: sent, or given up
  // on (a due one is attempted within a sweep, which moves its next attempt forward).
  await db
    .deleteFrom("webhook_deliveries")
    .where("next_at", "<", now - options.afterEndSeconds * 1000)
    .execute();
  let purged = 0;
  for (;;) {
    const due = await db
      .selectFrom("tasks")
      .select("task_id")
      .where("purged_at", "is", null)
      .where((eb) =>
        eb.or([
          eb("ended_at", "<=", now - options.afterEndSeconds * 1000),
          eb("seen_at", "<=", now - options.afterCreateSeconds * 1000),
        ]),
      )
      .limit(BATCH)
      .execute();
    if (!due.length) break;
    const ids = due.map((row) => row.task_id);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom("images").where("task_id", "in", ids).execute();
      await trx.deleteFrom("disclosures").where("task_id", "in", ids).execute();
      await trx.deleteFrom("chain_events").where("task_id", "in", ids).execute();
      await trx
        .updateTable("tasks")
        .set({ args: null, result: null, purged_at: now })
        .where("task_id", "in", ids)
        .execute();
    });
    // Files go after the rows: a crash in between leaves unreachable files, never rows without files.
    for (const id of ids) await images.remove(id);
    purged += ids.length;
    metrics.retentionDeleted.inc(ids.length);
    if (ids.length < BATCH) break;
  }
  await forgetExpiredSignatures(db, Math.floor(now / 1000));
  return purged;
}

/** Sweeps every `intervalSeconds` until `signal` aborts; failures are logged and retried next time. */
export async function runRetention(options: RetentionOptions, deps: RetentionDependencies, signal: AbortSignal) {
  while (!signal.aborted) {
    if (deps.isLeader()) {
      try {
        const purged = await sweep(options, deps);
        if (purged) deps.log.info({ purged }, "deleted the data of tasks past retention");
      } catch (error) {
        deps.log.warn({ err: error }, "retention sweep failed; retrying next interval");
      }
    }
    await pause(options.intervalSeconds * 1000, signal);
  }
}

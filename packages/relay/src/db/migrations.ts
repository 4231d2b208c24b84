import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import type { Dialect } from "./connect.ts";

/** Every schema change, in order; a released migration is never edited, only followed by a new one. */
function migrations(dialect: Dialect): Record<string, Migration> {
  const blob = dialect === "postgres" ? "bytea" : "blob";
  return {
    "0001_initial": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("tasks")
          .addColumn("task_id", "text", (c) => c.primaryKey())
          .addColumn("creator", "text", (c) => c.notNull())
          .addColumn("task_hash", "text", (c) => c.notNull())
          .addColumn("node0", "text")
          .addColumn("node1", "text")
          .addColumn("node2", "text")
          .addColumn("chain_phase", "text", (c) => c.notNull())
          .addColumn("abort_reason", "text")
          .addColumn("result", "text")
          .addColumn("result_node", "text")
          .addColumn("args", "text")
          .addColumn("num_images", "integer")
          .addColumn("images_uploaded_at", "bigint")
          .addColumn("created_block", "bigint", (c) => c.notNull())
          .addColumn("seen_at", "bigint", (c) => c.notNull())
          .addColumn("ended_at", "bigint")
          .addColumn("purged_at", "bigint")
          .execute();
        await db.schema.createIndex("tasks_ended_at").on("tasks").column("ended_at").execute();
        await db.schema.createIndex("tasks_seen_at").on("tasks").column("seen_at").execute();
        await db.schema
          .createTable("disclosures")
          .addColumn("task_id", "text", (c) => c.notNull())
          .addColumn("round", "integer", (c) => c.notNull())
          .addColumn("node", "text", (c) => c.notNull())
          .addColumn("result", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("disclosures_pk", ["task_id", "round"])
          .execute();
        await db.schema
          .createTable("images")
          .addColumn("task_id", "text", (c) => c.notNull())
          .addColumn("idx", "integer", (c) => c.notNull())
          .addColumn("bytes", "integer", (c) => c.notNull())
          .addColumn("png", blob)
          .addPrimaryKeyConstraint("images_pk", ["task_id", "idx"])
          .execute();
        await db.schema
          .createTable("used_signatures")
          .addColumn("signature", blob, (c) => c.primaryKey())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          // One B-tree instead of a table plus its key index: one write per signed request.
          .$call((table) => (dialect === "sqlite" ? table.modifyEnd(sql`without rowid`) : table))
          .execute();
        await db.schema.createIndex("used_signatures_expiry").on("used_signatures").column("expires_at").execute();
        await db.schema
          .createTable("cursors")
          .addColumn("name", "text", (c) => c.primaryKey())
          .addColumn("block", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("leases")
          .addColumn("name", "text", (c) => c.primaryKey())
          .addColumn("holder", "text", (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .execute();
      },
    },
    "0002_image_size": {
      async up(db: Kysely<unknown>) {
        // The size every result image must have (spec §7), from the task arguments when stored.
        await db.schema.alterTable("tasks").addColumn("image_width", "integer").execute();
        await db.schema.alterTable("tasks").addColumn("image_height", "integer").execute();
      },
    },
    "0003_reorgs": {
      async up(db: Kysely<unknown>) {
        // Hashes of recently applied blocks, to notice a reorganisation (spec §7, "Real chains").
        await db.schema
          .createTable("chain_blocks")
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("number", "bigint", (c) => c.notNull())
          .addColumn("hash", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("chain_blocks_pk", ["name", "number"])
          .execute();
        // The applied logs of each task, so that a rollback can rebuild its row from what remains.
        await db.schema
          .createTable("chain_events")
          .addColumn("block", "bigint", (c) => c.notNull())
          .addColumn("log_index", "integer", (c) => c.notNull())
          .addColumn("task_id", "text", (c) => c.notNull())
          .addColumn("topics", "text", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("chain_events_pk", ["block", "log_index"])
          .execute();
        await db.schema.createIndex("chain_events_task").on("chain_events").column("task_id").execute();
      },
    },
    "0004_index": {
      async up(db: Kysely<unknown>) {
        // The index API lists tasks by creator and by node (spec §7, "Index and notifications").
        await db.schema.createIndex("tasks_creator").on("tasks").column("creator").execute();
        for (const column of ["node0", "node1", "node2"])
          await db.schema.createIndex(`tasks_${column}`).on("tasks").column(column).execute();
      },
    },
    "0005_webhooks": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("webhooks")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("owner", "text", (c) => c.notNull())
          .addColumn("url", "text", (c) => c.notNull())
          .addColumn("secret", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("webhooks_owner").on("webhooks").column("owner").execute();
        await db.schema
          .createTable("webhook_deliveries")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("webhook_id", "text", (c) => c.notNull())
          .addColumn("body", "text", (c) => c.notNull())
          .addColumn("attempts", "integer", (c) => c.notNull())
          .addColumn("next_at", "bigint", (c) => c.notNull())
          .addColumn("delivered_at", "bigint")
          .addColumn("last_error", "text")
          .execute();
        await db.schema.createIndex("webhook_deliveries_due").on("webhook_deliveries").column("next_at").execute();
        // The last phase announced to webhooks, so each change is announced once.
        await db.schema.alterTable("tasks").addColumn("notified_phase", "text").execute();
      },
    },
    "0006_timeline": {
      async up(db: Kysely<unknown>) {
        // A task's timeline names each event's transaction and, where the RPC says, its time.
        await db.schema.alterTable("chain_events").addColumn("tx_hash", "text").execute();
        await db.schema.alterTable("chain_events").addColumn("block_time", "bigint").execute();
      },
    },
    "0007_nodes": {
      async up(db: Kysely<unknown>) {
        // The index's nodes (spec §7): their registry and task events, and a summary per node.
        await db.schema
          .createTable("node_events")
          .addColumn("block", "bigint", (c) => c.notNull())
          .addColumn("log_index", "integer", (c) => c.notNull())
          .addColumn("node", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("task_id", "text")
          .addColumn("amount", "text")
          .addColumn("detail", "text")
          .addColumn("tx_hash", "text")
          .addColumn("block_time", "bigint")
          .addPrimaryKeyConstraint("node_events_pk", ["block", "log_index", "node"])
          .execute();
        await db.schema.createIndex("node_events_node").on("node_events").columns(["node", "block"]).execute();
        await db.schema
          .createTable("nodes")
          .addColumn("address", "text", (c) => c.primaryKey())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("stake", "text", (c) => c.notNull())
          .addColumn("earned", "text", (c) => c.notNull())
          .addColumn("paid_tasks", "integer", (c) => c.notNull())
          .addColumn("slashes", "integer", (c) => c.notNull())
          .addColumn("missed", "integer", (c) => c.notNull())
          .addColumn("first_block", "bigint", (c) => c.notNull())
          .addColumn("last_block", "bigint", (c) => c.notNull())
          .execute();
        // The registry's history starts at the deployment: follow the chain again from there
        // (applying a log twice changes nothing).
        await db.deleteFrom("cursors" as never).execute();
        await db.deleteFrom("chain_blocks" as never).execute();
      },
    },
  };
}

/** Applies every pending migration; several instances starting at once are serialised by Kysely's lock. */
export async function migrate(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`database migration ${failed ?? ""} failed: ${(error as Error).message}`, { cause: error });
  }
}

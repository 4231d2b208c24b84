import type Database from "better-sqlite3";

/** Schema versions, applied in order, each once (user_version records how far). */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE tasks (
     task_id TEXT PRIMARY KEY,
     round INTEGER NOT NULL,
     task_hash TEXT NOT NULL,
     creator TEXT NOT NULL,
     created_block INTEGER NOT NULL,
     -- the TaskState JSON, and its phase again for queries
     state TEXT NOT NULL,
     phase TEXT NOT NULL,
     args TEXT,
     paid_wei TEXT NOT NULL DEFAULT '0',
     slashed INTEGER NOT NULL DEFAULT 0,
     abort_reason TEXT,
     result_node TEXT,
     timings TEXT NOT NULL DEFAULT '{}',
     received_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX tasks_open ON tasks (phase) WHERE phase != 'settled';
   CREATE INDEX tasks_received ON tasks (received_at);
   CREATE TABLE images (
     task_id TEXT NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
     idx INTEGER NOT NULL,
     png BLOB NOT NULL,
     PRIMARY KEY (task_id, idx)
   ) WITHOUT ROWID;
   CREATE TABLE transactions (
     hash TEXT PRIMARY KEY,
     task_id TEXT,
     function TEXT NOT NULL,
     gas_used TEXT NOT NULL,
     fee_wei TEXT NOT NULL,
     at INTEGER NOT NULL
   );`,
  // Why this node could not do a step of the task, last time it tried: {step, code, reason, at, count}.
  "ALTER TABLE tasks ADD COLUMN last_failure TEXT;",
  // Reorganisations: the block a rollback went back to when it removed the task's creation
  // (null while the chain holds it); the block each chain fact came from ({paidWei: n, …}), and
  // the newest of them (for the query that finds what a rollback undoes).
  `ALTER TABLE tasks ADD COLUMN orphaned_at INTEGER;
   ALTER TABLE tasks ADD COLUMN fact_blocks TEXT;
   ALTER TABLE tasks ADD COLUMN facts_block INTEGER;`,
];

export function migrate(db: Database.Database): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  for (let next = version; next < MIGRATIONS.length; next++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[next] as string);
      db.pragma(`user_version = ${next + 1}`);
    })();
  }
}

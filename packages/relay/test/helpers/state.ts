import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Relay } from "../../src/index.ts";

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((name) => !name.startsWith(".staging") || name.split("/").length > 1)
      .map((name) => join(dir, name))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Everything a request could corrupt: task, disclosure and image rows, and the image files
 * (used signatures and the follower's cursor change by design and are left out).
 */
export async function relayState(relay: Relay, imageDir: string) {
  const { db } = relay.context;
  return {
    tasks: await db.selectFrom("tasks").selectAll().orderBy("task_id").execute(),
    disclosures: await db.selectFrom("disclosures").selectAll().orderBy("task_id").orderBy("round").execute(),
    images: await db
      .selectFrom("images")
      .select(["task_id", "idx", "bytes"])
      .orderBy("task_id")
      .orderBy("idx")
      .execute(),
    nodes: await db.selectFrom("nodes").selectAll().orderBy("address").execute(),
    nodeEvents: await db
      .selectFrom("node_events")
      .selectAll()
      .orderBy("block")
      .orderBy("log_index")
      .orderBy("node")
      .execute(),
    files: listFiles(imageDir),
  };
}

import type { BlockRef } from "@hydrogen/chain";
import type { Hex } from "viem";
import type { Db } from "./tasks.ts";

/** The kept hashes of applied blocks (the follower's reorganisation check). */
export async function loadBlocks(db: Db, name: string): Promise<BlockRef[]> {
  const rows = await db.selectFrom("chain_blocks").select(["number", "hash"]).where("name", "=", name).execute();
  return rows.map((row) => ({ number: BigInt(row.number), hash: row.hash as Hex }));
}

/** Keeps a batch's block hashes and forgets those below `forgetBelow`. */
export async function storeBlocks(db: Db, name: string, blocks: BlockRef[], forgetBelow: bigint): Promise<void> {
  if (blocks.length) {
    await db
      .insertInto("chain_blocks")
      .values(blocks.map((ref) => ({ name, number: Number(ref.number), hash: ref.hash.toLowerCase() })))
      .onConflict((oc) => oc.columns(["name", "number"]).doUpdateSet((eb) => ({ hash: eb.ref("excluded.hash") })))
      .execute();
  }
  await db.deleteFrom("chain_blocks").where("name", "=", name).where("number", "<", Number(forgetBelow)).execute();
}

/** Moves the cursor back to `ancestor` and forgets the blocks after it (a rollback, under the lease). */
export async function rewindCursor(db: Db, name: string, ancestor: bigint): Promise<void> {
  await db
    .updateTable("cursors")
    .set({ block: Number(ancestor) })
    .where("name", "=", name)
    .execute();
  await db.deleteFrom("chain_blocks").where("name", "=", name).where("number", ">", Number(ancestor)).execute();
}

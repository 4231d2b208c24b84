import { prepared } from "./prepared.ts";
import type { Db } from "./tasks.ts";

/**
 * Takes or renews the lease `name` for `holder` until `now + leaseMs`; succeeds when nobody
 * holds it, `holder` already does, or the holder let it expire. One statement, so two
 * instances racing for it cannot both win.
 *
 * @example
 * if (await acquireLease(db, "follower", instanceId, Date.now(), 10_000)) follow();
 */
export async function acquireLease(
  db: Db,
  name: string,
  holder: string,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  await db
    .insertInto("leases")
    .values({ name, holder, expires_at: now + leaseMs })
    .onConflict((oc) =>
      oc
        .column("name")
        .doUpdateSet({ holder, expires_at: now + leaseMs })
        .where((eb) => eb.or([eb("leases.holder", "=", holder), eb("leases.expires_at", "<", now)])),
    )
    .execute();
  return holdsLease(db, name, holder, now);
}

/** True while `holder` has an unexpired lease. */
export async function holdsLease(db: Db, name: string, holder: string, now: number): Promise<boolean> {
  const row = (await selectLease(db, { name })).rows[0];
  return row?.holder === holder && row.expires_at > now;
}

const selectLease = prepared((db, p: { name: string }) =>
  db.selectFrom("leases").selectAll().where("name", "=", p.name),
);

/** Gives the lease up (a clean shutdown), so another instance takes over at once. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom("leases").where("name", "=", name).where("holder", "=", holder).execute();
}

const selectCursor = prepared((db, p: { name: string }) =>
  db.selectFrom("cursors").select("block").where("name", "=", p.name),
);

export async function loadCursor(db: Db, name: string): Promise<bigint | undefined> {
  const row = (await selectCursor(db, { name })).rows[0];
  return row === undefined ? undefined : BigInt(row.block);
}

const upsertCursor = prepared((db, p: { name: string; block: number }) =>
  db
    .insertInto("cursors")
    .values({ name: p.name, block: p.block })
    .onConflict((oc) => oc.column("name").doUpdateSet({ block: p.block }).where("cursors.block", "<", p.block)),
);

/** Moves the cursor forward (never back: a stale leader's late write cannot rewind it). */
export async function storeCursor(db: Db, name: string, block: bigint): Promise<void> {
  await upsertCursor(db, { name, block: Number(block) });
}

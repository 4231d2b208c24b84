import type { ReplayDetector } from "@hydrogen/protocol";
import type { Hex } from "viem";
import { prepared } from "./prepared.ts";
import type { Db } from "./tasks.ts";

const insertSignature = prepared((db, p: { signature: Buffer; expiresAt: number }) =>
  db
    .insertInto("used_signatures")
    .values({ signature: p.signature, expires_at: p.expiresAt })
    .onConflict((oc) => oc.column("signature").doNothing()),
);

/**
 * Replay protection in the database: a signature is claimed by inserting it, so the claim is
 * atomic across instances and survives restarts. Rows expire with the signature window
 * (deleted by the retention job).
 */
export class DatabaseReplayDetector implements ReplayDetector {
  constructor(private readonly db: Db) {}

  async claim(signature: Hex, expiresAt: number): Promise<boolean> {
    const result = await insertSignature(this.db, {
      signature: Buffer.from(signature.slice(2, 130), "hex"),
      expiresAt,
    });
    return (result.numAffectedRows ?? 0n) > 0n;
  }
}

/** Forgets signatures whose window has passed (they would be refused as expired anyway). */
export async function forgetExpiredSignatures(db: Db, nowSeconds: number): Promise<number> {
  const result = await db.deleteFrom("used_signatures").where("expires_at", "<", nowSeconds).executeTakeFirst();
  return Number(result.numDeletedRows);
}

import type { Db } from "../db/tasks.ts";
import type { ImageStore, StagedUpload } from "./store.ts";

/** Images in the `images` table (PostgreSQL `bytea` / SQLite `blob`): shared by every instance with no extra storage. */
export class DatabaseImageStore implements ImageStore {
  begin(taskId: string): StagedUpload {
    const pngs: Uint8Array[] = [];
    return {
      add: async (index, png) => {
        pngs[index] = png;
      },
      commit: async (trx: Db) => {
        if (!pngs.length) return;
        await trx
          .insertInto("images")
          .values(pngs.map((png, idx) => ({ task_id: taskId, idx, bytes: png.length, png })))
          .execute();
      },
      discard: async () => {
        pngs.length = 0;
      },
    };
  }

  async read(db: Db, taskId: string, index: number): Promise<Uint8Array | undefined> {
    const row = await db
      .selectFrom("images")
      .select("png")
      .where("task_id", "=", taskId)
      .where("idx", "=", index)
      .executeTakeFirst();
    return row?.png ?? undefined;
  }

  async remove(): Promise<void> {
    // The rows go with the caller's DELETE.
  }
}

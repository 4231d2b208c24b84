import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Db } from "../db/tasks.ts";
import type { ImageStore, StagedUpload } from "./store.ts";

/**
 * Images as files: `<dir>/<taskId>/<index>.png`, staged under `<dir>/.staging/` and moved
 * into place by one directory rename. With several instances, `dir` is shared storage.
 * Task ids are validated decimal strings before they reach a path.
 */
export class FileImageStore implements ImageStore {
  constructor(private readonly dir: string) {}

  private taskDir(taskId: string): string {
    if (!/^[0-9]+$/.test(taskId)) throw new Error(`not a task id: ${taskId}`);
    return join(this.dir, taskId);
  }

  begin(taskId: string): StagedUpload {
    const staging = join(this.dir, ".staging", randomUUID());
    const final = this.taskDir(taskId);
    const sizes: number[] = [];
    let made: Promise<unknown> | undefined;
    let committed = false;
    return {
      add: async (index, png) => {
        made ??= mkdir(staging, { recursive: true });
        await made;
        await writeFile(join(staging, `${index}.png`), png);
        sizes[index] = png.length;
      },
      commit: async (trx: Db) => {
        if (sizes.length) {
          await trx
            .insertInto("images")
            .values(sizes.map((bytes, idx) => ({ task_id: taskId, idx, bytes, png: null })))
            .execute();
        }
        // The caller holds the task row (its images are not marked uploaded): a directory left
        // by a crashed earlier attempt is garbage.
        await rm(final, { recursive: true, force: true });
        await made;
        await rename(staging, final);
        committed = true;
      },
      discard: async () => {
        await rm(staging, { recursive: true, force: true });
        if (committed) await rm(final, { recursive: true, force: true });
      },
    };
  }

  async read(_db: Db, taskId: string, index: number): Promise<Uint8Array | undefined> {
    try {
      return await readFile(join(this.taskDir(taskId), `${index}.png`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async remove(taskId: string): Promise<void> {
    await rm(this.taskDir(taskId), { recursive: true, force: true });
  }
}

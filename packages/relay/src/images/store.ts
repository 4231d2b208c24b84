import type { Db } from "../db/tasks.ts";

/**
 * Where result images live. An upload is staged first and becomes visible only through
 * `commit`, inside the database transaction that marks the task's images uploaded, so a
 * failed or concurrent upload never leaves half a task behind.
 */
export interface ImageStore {
  begin(taskId: string): StagedUpload;
  /** The PNG bytes of one stored image, or undefined. */
  read(db: Db, taskId: string, index: number): Promise<Uint8Array | undefined>;
  /** Deletes a task's images (retention); the image rows are deleted by the caller. */
  remove(taskId: string): Promise<void>;
}

export interface StagedUpload {
  /** Stages image `index` (verified by the caller). */
  add(index: number, png: Uint8Array): Promise<void>;
  /** Inserts the image rows and makes the files visible, inside `trx`. */
  commit(trx: Db): Promise<void>;
  /** Drops everything staged or committed by this upload (after a failure or a rolled-back commit). */
  discard(): Promise<void>;
}

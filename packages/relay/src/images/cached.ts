import { LRUCache } from "lru-cache";
import type { Db } from "../db/tasks.ts";
import type { ImageStore, StagedUpload } from "./store.ts";

/**
 * Keeps recently read images in memory (bounded by total bytes). Stored images never change,
 * so the cache needs no invalidation beyond `remove` (retention); a retained image another
 * instance purged is still refused, because the task row is checked before every read.
 */
export class CachedImageStore implements ImageStore {
  private readonly cache: LRUCache<string, Uint8Array>;

  constructor(
    private readonly inner: ImageStore,
    maxBytes: number,
  ) {
    this.cache = new LRUCache({ maxSize: Math.max(1, maxBytes), sizeCalculation: (png) => Math.max(1, png.length) });
  }

  begin(taskId: string): StagedUpload {
    return this.inner.begin(taskId);
  }

  async read(db: Db, taskId: string, index: number): Promise<Uint8Array | undefined> {
    const key = `${taskId}/${index}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const png = await this.inner.read(db, taskId, index);
    if (png) this.cache.set(key, png);
    return png;
  }

  async remove(taskId: string): Promise<void> {
    for (const key of this.cache.keys()) if (key.startsWith(`${taskId}/`)) this.cache.delete(key);
    await this.inner.remove(taskId);
  }
}

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelRef } from "@hydrogen/protocol";
import { ModelUnavailableError } from "./manager.ts";
import type { ModelKind } from "./refs.ts";

/** One cached model: a file or a diffusers folder under the cache directory. */
export interface CacheEntry {
  ref: ModelRef;
  kind: ModelKind;
  format: "file" | "diffusers";
  /** Relative to the cache directory, e.g. `loras/owner--name--1a2b3c.safetensors`. */
  path: string;
  bytes: number;
  /** Unix ms of the last task that used it. */
  lastUsed: number;
}

/**
 * The cache's index (`index.json`, replaced atomically) with least-recently-used eviction under
 * a disk budget. A model pinned by a running task is never evicted.
 */
export class ModelCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly pins = new Map<string, number>();
  private readonly indexPath: string;

  constructor(
    readonly dir: string,
    private readonly budgetBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.indexPath = join(dir, "index.json");
    if (existsSync(this.indexPath)) {
      const saved = JSON.parse(readFileSync(this.indexPath, "utf8")) as { entries?: CacheEntry[] };
      // Entries whose files an operator deleted are forgotten.
      for (const entry of saved.entries ?? [])
        if (existsSync(join(dir, entry.path))) this.entries.set(entry.path, entry);
    }
  }

  get usedBytes(): number {
    let sum = 0;
    for (const entry of this.entries.values()) sum += entry.bytes;
    return sum;
  }

  get(path: string): CacheEntry | undefined {
    return this.entries.get(path);
  }

  list(): CacheEntry[] {
    return [...this.entries.values()];
  }

  add(entry: CacheEntry): void {
    this.entries.set(entry.path, entry);
    this.save();
  }

  /** Marks a model in use (evictions skip it) and records the use. */
  pin(path: string): void {
    this.pins.set(path, (this.pins.get(path) ?? 0) + 1);
    const entry = this.entries.get(path);
    if (entry) {
      entry.lastUsed = Date.now();
      this.save();
    }
  }

  /** Whether a running task holds the model. */
  isPinned(path: string): boolean {
    return this.pins.has(path);
  }

  unpin(path: string): void {
    const count = (this.pins.get(path) ?? 0) - 1;
    if (count > 0) this.pins.set(path, count);
    else this.pins.delete(path);
  }

  /**
   * Evicts least-recently-used, unpinned models until `bytes` more fit the budget; returns what
   * was evicted. When models in use fill the budget, that is the node's trouble: transient.
   */
  makeRoom(ref: ModelRef, bytes: number): CacheEntry[] {
    const evicted: CacheEntry[] = [];
    const candidates = [...this.entries.values()]
      .filter((e) => !this.pins.has(e.path))
      .sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.usedBytes + bytes > this.budgetBytes) {
      const victim = candidates.shift();
      if (!victim) {
        throw new ModelUnavailableError(
          ref,
          `the model cache's budget (${this.budgetBytes} bytes) cannot take ${bytes} more: the models in use fill it`,
        );
      }
      rmSync(join(this.dir, victim.path), { recursive: true, force: true });
      this.entries.delete(victim.path);
      evicted.push(victim);
    }
    if (evicted.length > 0) this.save();
    return evicted;
  }

  private save(): void {
    const tmp = `${this.indexPath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ entries: [...this.entries.values()] }, null, 1));
    renameSync(tmp, this.indexPath);
  }
}

import type { Hex, Log, PublicClient } from "viem";

/** An applied block as the follower remembers it: enough to notice that the chain replaced it. */
export interface BlockRef {
  number: bigint;
  hash: Hex;
}

/** A block's own hash and its parent's, from a notification or a read. */
export interface BlockLink {
  hash: Hex;
  parentHash: Hex;
}

/**
 * The chain replaced more blocks than the follower keeps hashes of (`reorgWindow`): it cannot
 * tell which of its applied logs still stand, so it stops rather than guess. Raise the window
 * or the confirmations, then restart from a cursor before the reorganisation.
 */
export class ReorgTooDeepError extends Error {
  override readonly name = "ReorgTooDeepError";
  constructor(
    readonly cursor: bigint,
    readonly oldestKept: bigint | undefined,
  ) {
    super(
      `the chain replaced every block the follower kept a hash of (cursor ${cursor}, oldest kept ${oldestKept ?? "none"})`,
    );
  }
}

/** The logs of a block range disagree with the block read for the same range: the chain moved under the read. */
export class ChainMovedError extends Error {
  override readonly name = "ChainMovedError";
}

/** A block's hash and parent hash, read from the RPC node (undefined when it has no such block). */
export async function readLink(client: PublicClient, number: bigint): Promise<BlockLink | undefined> {
  try {
    const block = await client.getBlock({ blockNumber: number });
    return block.hash ? { hash: block.hash, parentHash: block.parentHash } : undefined;
  } catch (error) {
    if ((error as Error).name === "BlockNotFoundError") return undefined;
    throw error;
  }
}

/**
 * The highest kept block that the chain still holds, found by asking for each kept block's
 * hash from the newest down: the common ancestor of what was applied and the chain now.
 * Throws `ReorgTooDeepError` when none is left.
 */
export async function findCommonAncestor(
  client: PublicClient,
  kept: readonly BlockRef[],
  cursor: bigint,
): Promise<bigint> {
  const newestFirst = [...kept].filter((ref) => ref.number <= cursor).sort((a, b) => (a.number > b.number ? -1 : 1));
  for (const ref of newestFirst) {
    const link = await readLink(client, ref.number);
    if (link?.hash.toLowerCase() === ref.hash.toLowerCase()) return ref.number;
  }
  throw new ReorgTooDeepError(cursor, newestFirst.at(-1)?.number);
}

/**
 * The blocks of a batch worth remembering: its last block (the next step checks that its
 * successor still descends from it) and each block a log came from, newest `window` blocks only.
 */
export function blocksToKeep(toBlock: bigint, toHash: Hex, logs: readonly Log[], window: bigint): BlockRef[] {
  const kept = new Map<bigint, Hex>([[toBlock, toHash]]);
  for (const log of logs) {
    if (log.blockNumber === null || log.blockHash === null) continue;
    if (log.blockNumber > toBlock - window) kept.set(log.blockNumber, log.blockHash);
  }
  return [...kept].map(([number, hash]) => ({ number, hash })).sort((a, b) => (a.number < b.number ? -1 : 1));
}

/** Checks that every log of the batch's last block comes from the block read for it. */
export function assertLogsFrom(logs: readonly Log[], toBlock: bigint, toHash: Hex): void {
  for (const log of logs) {
    if (log.blockNumber === toBlock && log.blockHash && log.blockHash.toLowerCase() !== toHash.toLowerCase())
      throw new ChainMovedError(`block ${toBlock} changed while its logs were read`);
  }
}

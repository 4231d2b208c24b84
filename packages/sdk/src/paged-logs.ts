import { type Address, formatLog, type Hex, type Log, numberToHex } from "viem";
import { ensureRpcChain } from "./chain-check.ts";
import type { HydrogenClient } from "./client.ts";

/** An `eth_getLogs` filter without its block range. */
export interface LogFilter {
  address: Address;
  topics?: (Hex | Hex[] | null)[];
}

/**
 * Every log matching `filter` in [fromBlock, toBlock], read in ranges of at most the client's
 * `maxLogRange` blocks; a range the provider refuses (too many results, or any other error) is
 * split in two and each half read, down to single blocks — public providers cap both the block
 * range and the number of results of one request. A single block that still fails throws.
 * An RPC on another chain than the deployment's is refused first (`WrongChainError`).
 */
export async function readLogsPaged(
  client: HydrogenClient,
  filter: LogFilter,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<Log[]> {
  await ensureRpcChain(client);
  const logs: Log[] = [];
  for (let from = fromBlock; from <= toBlock; from += client.maxLogRange) {
    const to = from + client.maxLogRange - 1n < toBlock ? from + client.maxLogRange - 1n : toBlock;
    logs.push(...(await readSplitting(client, filter, from, to)));
  }
  return logs;
}

async function readSplitting(client: HydrogenClient, filter: LogFilter, from: bigint, to: bigint): Promise<Log[]> {
  try {
    const raw = await client.publicClient.request({
      method: "eth_getLogs",
      params: [{ ...filter, fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
    });
    return raw.map((log) => formatLog(log) as Log);
  } catch (error) {
    if (from === to) throw error;
    const middle = from + (to - from) / 2n;
    return [
      ...(await readSplitting(client, filter, from, middle)),
      ...(await readSplitting(client, filter, middle + 1n, to)),
    ];
  }
}

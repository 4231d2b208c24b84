import { type Address, type Hex, numberToHex } from "viem";
import type { HydrogenClient } from "./client.ts";

/** The logs of one task: every TaskManager event indexes the task id first. */
export function taskLogFilter(client: HydrogenClient, taskId: bigint): { address: Address; topics: [null, Hex] } {
  return { address: client.contracts.TaskManager, topics: [null, numberToHex(taskId, { size: 32 })] };
}

import { encodeEventTopics, type Hex, parseEventLogs } from "viem";
import type { TaskEvent } from "./actions/getTaskEvents.ts";
import type { HydrogenClient } from "./client.ts";
import { taskManagerCallAbi } from "./contract-errors.ts";
import { readLogsPaged } from "./paged-logs.ts";

/**
 * The distance threshold a task was created with: the contract fixes it in the task at
 * creation, and the owner may change the current one afterwards. It is the `previous` value of
 * the first `DistanceThresholdUpdated` after the task's `TaskCreated`, or, when there is none,
 * the current value read at the last block searched. One bounded log read: from the task's
 * creation to `toBlock`.
 */
export async function taskThreshold(client: HydrogenClient, created: TaskEvent, toBlock: bigint): Promise<number> {
  const [topic] = encodeEventTopics({ abi: taskManagerCallAbi, eventName: "DistanceThresholdUpdated" });
  const raw = await readLogsPaged(
    client,
    { address: client.contracts.TaskManager, topics: [topic as Hex] },
    created.blockNumber,
    toBlock,
  );
  const after = parseEventLogs({ abi: taskManagerCallAbi, eventName: "DistanceThresholdUpdated", logs: raw as never })
    .filter(
      (log) =>
        (log.blockNumber as bigint) > created.blockNumber ||
        ((log.blockNumber as bigint) === created.blockNumber && Number(log.logIndex) > created.logIndex),
    )
    .sort((a, b) =>
      a.blockNumber === b.blockNumber
        ? Number(a.logIndex) - Number(b.logIndex)
        : (a.blockNumber as bigint) < (b.blockNumber as bigint)
          ? -1
          : 1,
    );
  const first = after[0];
  if (first) return Number((first.args as { previous: bigint }).previous);
  const current = await client.publicClient.readContract({
    address: client.contracts.TaskManager,
    abi: taskManagerCallAbi,
    functionName: "distanceThreshold",
    blockNumber: toBlock,
  });
  return Number(current as bigint);
}

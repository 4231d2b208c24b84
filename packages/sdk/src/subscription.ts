import type { HydrogenClient } from "./client.ts";
import { taskLogFilter } from "./task-logs.ts";

/** What a WebSocket (or IPC) transport offers: viem's `subscribe`. */
interface SubscribingTransport {
  subscribe(parameters: {
    params: ["logs", { address: string; topics: (string | null)[] }];
    onData(data: unknown): void;
    onError?(error: Error): void;
  }): Promise<{ unsubscribe(): Promise<unknown> }>;
}

export interface TaskLogSubscription {
  /** False once the subscription failed: the caller then polls at its full rate. */
  readonly live: boolean;
  unsubscribe(): void;
}

/**
 * Subscribes to one task's TaskManager logs (every event indexes the task id first) when the
 * client's transport can: `onLog` is called for each. Resolves once the RPC node has accepted
 * the subscription, so a read made after it misses nothing; undefined over HTTP or when the
 * node refuses (the caller polls).
 */
export async function subscribeTaskLogs(
  client: HydrogenClient,
  taskId: bigint,
  onLog: () => void,
): Promise<TaskLogSubscription | undefined> {
  const transport = client.publicClient.transport as unknown as Partial<SubscribingTransport>;
  if (typeof transport.subscribe !== "function") return undefined;
  let live = true;
  try {
    const subscription = await transport.subscribe({
      params: ["logs", taskLogFilter(client, taskId)],
      onData: () => onLog(),
      onError: () => {
        live = false;
        onLog();
      },
    });
    return {
      get live() {
        return live;
      },
      unsubscribe: () => void subscription.unsubscribe().catch(() => undefined),
    };
  } catch {
    return undefined;
  }
}

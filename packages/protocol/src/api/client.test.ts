import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { HEADER_TIMESTAMP } from "../auth/request.ts";
import { createRelayClient } from "./client.ts";

const signer = privateKeyToAccount(`0x${"11".repeat(32)}`);

/** A relay client whose requests are recorded (and answered with an empty task). */
function recordingClient() {
  const timestamps: number[] = [];
  const client = createRelayClient({
    url: "http://127.0.0.1:1",
    chainId: 31337,
    taskManager: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    signer,
    fetch: async (url, init) => {
      // The clock the client measures itself against before signing: this machine's.
      if (String(url).endsWith("/v1/now")) return Response.json({ now: Math.floor(Date.now() / 1000) });
      timestamps.push(Number((init?.headers as Record<string, string> | undefined)?.[HEADER_TIMESTAMP]));
      return new Response(JSON.stringify({ task_id: "1", task_hash: `0x${"00".repeat(32)}` }), {
        headers: { "content-type": "application/json" },
      });
    },
  });
  return { client, timestamps };
}

describe("relay client signing", () => {
  it("signs an identical repeat with a later timestamp (the same signature would be a replay)", async () => {
    const { client, timestamps } = recordingClient();
    const before = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 3; i++) await client.getTask(7n);
    const [first, second, third] = timestamps as [number, number, number];
    assert.ok(first >= before);
    assert.deepEqual([second - first, third - first], [1, 2]);
  });

  it("keeps the clock for different bodies to one path, however many (no drift past the relay's window)", async () => {
    const { client, timestamps } = recordingClient();
    for (let i = 0; i < 100; i++) await client.uploadTaskArgs(BigInt(i), `{"prompt":"${i}"}`);
    const after = Math.floor(Date.now() / 1000);
    assert.ok(
      timestamps.every((t) => t <= after),
      `every timestamp is at most now: the last is ${(timestamps.at(-1) ?? 0) - after} s ahead`,
    );
  });
});

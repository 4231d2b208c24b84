import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Network, startNetwork, waitFor } from "@hydrogen/devnet";
import { taskArgs } from "./helpers/args.ts";

describe("shutdown while the engine runs", () => {
  let net: Network;
  before(async () => {
    // Ten minutes per image: only an aborted engine job lets the node stop in time.
    net = await startNetwork({ nodeConfig: () => ({ engine: { kind: "synthetic", delayMs: 600_000 } }) });
  });
  after(async () => {
    await net?.stop();
  });

  it("SIGTERM aborts the engine job: the node exits cleanly, and resumes the task when started again", async () => {
    const { taskId } = await net.createTask(taskArgs({ images: 1 }));
    const node = net.node(0);
    await waitFor("the node to run the engine", async () => (await node.task(taskId))?.phase === "fetched");
    // exit() fails after 30 s: the engine's ten-minute wait must not hold the shutdown.
    assert.equal(await node.stop("SIGTERM"), "0");
    await node.start();
    await waitFor("the node to take the task up again", async () => (await node.task(taskId))?.phase === "fetched");
  });
});

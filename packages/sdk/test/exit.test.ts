import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Devnet, devKey, ROLES, startDevnet } from "@hydrogen/devnet";

/** How long after its last await an application's process may take to exit. */
const EXIT_GRACE_MS = 8_000;

const script = fileURLToPath(new URL("./fixtures/app-script.ts", import.meta.url));

/**
 * Runs the application script in its own process. Resolves with its output once it exits;
 * kills it and rejects if it is still alive EXIT_GRACE_MS after printing DONE.
 */
function runApp(devnet: Devnet, transport: "http" | "webSocket", pollingIntervalMs: number, signal: AbortSignal) {
  const input = {
    rpcUrl: devnet.rpcUrl,
    relayUrl: devnet.relayUrl,
    deployment: devnet.deployment,
    privateKey: devKey(ROLES.burner),
    transport,
    pollingIntervalMs,
  };
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(input)], {
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
      // A test that times out kills its application with it.
      signal,
    });
    let output = "";
    let grace: NodeJS.Timeout | undefined;
    const collect = (chunk: Buffer) => {
      output += chunk;
      if (!grace && output.includes("DONE")) {
        grace = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`the application's process did not exit after its last await:\n${output}`));
        }, EXIT_GRACE_MS);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(grace);
      if (code === 0 && output.includes("DONE 1")) resolve(output);
      else reject(new Error(`the application's script failed (exit ${code}):\n${output}`));
    });
  });
}

describe("an application's process ends with its work", () => {
  let devnet: Devnet;
  before(async () => {
    // Blocks every second, as on a real chain: a receipt is not there at the first look, so a
    // receipt wait polls (viem's left its next poll's timer behind).
    devnet = await startDevnet({
      dir: mkdtempSync(join(tmpdir(), "hydrogen-sdk-exit-")),
      nodes: 3,
      blockTimeSeconds: 1,
    });
  });
  after(async () => {
    await devnet?.close();
  });

  it("over HTTP: create, wait, download, then exit by itself", { timeout: 120_000 }, async (t) => {
    const output = await runApp(devnet, "http", 2_000, t.signal);
    assert.doesNotMatch(output, /STILL OPEN/);
  });

  // Only the task's logs wake waitForTask here: any wait left behind outlives the grace by an hour.
  it("over a WebSocket: the same, once the application closes its client", { timeout: 120_000 }, async (t) => {
    const output = await runApp(devnet, "webSocket", 3_600_000, t.signal);
    assert.doesNotMatch(output, /STILL OPEN/);
  });
});

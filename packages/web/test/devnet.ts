import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HYDROGEN = fileURLToPath(new URL("../../cli/bin/hydrogen.mjs", import.meta.url));

export interface DevnetProcess {
  webUrl: string;
  rpcUrl: string;
  nodes: { address: string }[];
  process: ChildProcess;
  /** Ctrl-C, as a user stops it; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/** `hydrogen devnet --json` on free ports, as a user starts it; resolves once it prints where everything is. */
export async function spawnDevnet(): Promise<DevnetProcess> {
  const dir = join(mkdtempSync(join(tmpdir(), "hydrogen-web-")), "devnet");
  const child = spawn(
    HYDROGEN,
    ["devnet", "--json", "--dir", dir, "--rpc-port", "0", "--relay-port", "0", "--web-port", "0"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const state = await new Promise<{ webUrl: string; rpcUrl: string; nodes: { address: string }[] }>(
    (resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`devnet did not start:\n${stderr}`)), 90_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk;
        try {
          const parsed = JSON.parse(stdout);
          clearTimeout(timer);
          resolve(parsed);
        } catch {
          // not complete yet
        }
      });
      child.once("exit", (code) => reject(new Error(`devnet exited with ${code}:\n${stderr}`)));
    },
  );
  if (!state.webUrl) throw new Error("the devnet serves no web app: build it first (npm run build -w packages/web)");
  return {
    ...state,
    process: child,
    interrupt: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill("SIGINT");
      }),
  };
}

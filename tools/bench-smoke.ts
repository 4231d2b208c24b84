/**
 * Runs a benchmark script in its smoke mode (`--smoke --json`: a few seconds, tiny sizes) and
 * returns the JSON object it prints last. The packages' bench tests use it so that no `bench:*`
 * script can silently rot: they assert only that it runs and prints its keys.
 */
import { spawn } from "node:child_process";

export async function runBenchSmoke(
  script: string,
  options: { cwd: string; signal?: AbortSignal; args?: string[] },
): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ["--import", "tsx", script, "--smoke", "--json", ...(options.args ?? [])], {
    cwd: options.cwd,
    // The script is a program of its own, not a test file of the runner's.
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    signal: options.signal,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0)
    throw new Error(`${script} --smoke exited with ${code}:\n${stderr.slice(-4000)}${stdout.slice(-2000)}`);
  // One JSON line last, or (bench:gas) the whole output as one indented object.
  for (const text of [stdout.trim().split("\n").at(-1) ?? "", stdout]) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Try the next reading.
    }
  }
  throw new Error(`${script} --smoke printed no JSON object last:\n${stdout.slice(-2000)}`);
}
